import { status as Status, type handleBidiStreamingCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { KvClient } from '../kv/kv-client.js';
import type { WatchFilterType } from '../kv/watch/types.js';
import type { WatchBatch } from '../kv/watch/types.js';
import type { Watcher } from '../kv/watch/watcher.js';
import type { Wire } from './convert.js';
import { etcdError } from './errors.js';
import { watchLeaderLoss } from './lease.js';
import { encodeWatchFrames, encodeWatchResponse } from './watch-codec.js';
import { requiresLeader, wireNum, type RpcContext } from './rpc.js';
import { acceptFramed, coalesceWrites, FramedMessages } from './watch-writes.js';

const SERVICE = 'etcdserverpb.Watch';

/** clientv3's InvalidWatchID: the watch id of responses that belong to no watcher (stream-wide progress, refused creates). */
const INVALID_WATCH_ID = '-1';

/** About how many bytes of responses one write of framed messages carries at most (a larger batch goes alone). */
const FRAMES_BYTES = 64 * 1024;

/** A rough upper estimate of a batch's encoded size, for cutting framed writes. */
function roughSize(b: WatchBatch): number {
  let n = 64 + b.cancelReason.length;
  for (const e of b.events) n += 48 + e.kv.key.length + e.kv.value.length + (e.prevKv === undefined ? 0 : 48 + e.prevKv.key.length + e.prevKv.value.length);
  return n;
}

/**
 * Sends one watcher's batches on its stream as they become ready: the watcher calls back when a
 * batch is queued, and one microtask per burst then sends every ready batch (the revisions of
 * one applied batch are queued in the same turn), with no promise or closure per batch. On a
 * stream that takes framed messages, the ready batches go as one write (one WatchResponse each,
 * as when sent one by one), up to about {@link FRAMES_BYTES} per write.
 */
class WatchFeed {
  readonly #id: number;
  readonly #watcher: Watcher;
  readonly #send: (response: Buffer | FramedMessages) => void;
  readonly #framed: boolean;
  readonly #finished: () => void;
  #scheduled = false;

  /**
   * @param id - the watcher's stream-local id.
   * @param watcher - the watcher.
   * @param stream - how to write on the stream.
   * @param stream.send - writes a response (or framed responses) on the stream.
   * @param stream.framed - whether the stream takes {@link FramedMessages}.
   * @param finished - called once, when the watch has ended and its last batch is sent.
   */
  constructor(id: number, watcher: Watcher, stream: { send: (response: Buffer | FramedMessages) => void; framed: boolean }, finished: () => void) {
    this.#id = id;
    this.#watcher = watcher;
    this.#send = stream.send;
    this.#framed = stream.framed;
    this.#finished = finished;
  }

  start(): void {
    this.#watcher.listen(this.#wake);
    this.#wake();
  }

  readonly #wake = (): void => {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#drain);
  };

  readonly #drain = (): void => {
    this.#scheduled = false;
    const w = this.#watcher;
    if (this.#framed) this.#sendFramed();
    else for (let b = w.take(); b !== undefined; b = w.take()) this.#send(encodeWatchResponse(b, this.#id));
    if (w.finished) {
      w.listen(undefined);
      this.#finished();
    }
  };

  /** Sends the ready batches as framed messages, in writes of about {@link FRAMES_BYTES} at most. */
  #sendFramed(): void {
    const w = this.#watcher;
    let group: WatchBatch[] = [];
    let bytes = 0;
    for (let b = w.take(); b !== undefined; b = w.take()) {
      const n = roughSize(b);
      if (group.length > 0 && bytes + n > FRAMES_BYTES) {
        this.#send(new FramedMessages(encodeWatchFrames(group, this.#id), group.length));
        group = [];
        bytes = 0;
      }
      group.push(b);
      bytes += n;
    }
    if (group.length > 0) this.#send(new FramedMessages(encodeWatchFrames(group, this.#id), group.length));
  }
}

/**
 * The Watch service: one bidirectional stream carries many watchers of a `KvClient`'s watch hub,
 * each with a stream-local id (the client's `watch_id`, or the next free one from 0, as etcd).
 * Create with every option (range, start revision, prevKv, filters, progressNotify, fragment),
 * cancel, and `RequestProgress`: answered with one response of watch id -1 when every watcher of
 * the stream is synced, otherwise by each watcher once it has caught up. Under `hasleader` the
 * stream ends with "etcdserver: no leader" after three election timeouts without a leader.
 * @internal
 */
export function watchService(ctx: RpcContext, kv: KvClient): UntypedServiceImplementation {
  // Responses are plain objects, or a watcher's batches already encoded (see withResponseCodecs), or
  // already framed as gRPC messages (acceptFramed: they pass by the serializer).
  const labels = { grpc_type: 'bidi_stream', grpc_service: SERVICE, grpc_method: 'Watch' } as const;
  const sent = ctx.grpc.sentCounter(labels);
  const watch: handleBidiStreamingCall<Wire, Wire | Buffer | FramedMessages> = (call) => {
    const done = ctx.grpc.start(labels);
    coalesceWrites(call);
    const framed = acceptFramed(call, sent);
    const watchers = new Map<number, Watcher>();
    let nextId = 0;
    let closed = false;
    const closeAll = (): void => {
      closed = true;
      stopWatch();
      for (const w of watchers.values()) w.cancel();
      watchers.clear();
    };
    const stopWatch = watchLeaderLoss(ctx, requiresLeader(call.metadata), () => {
      const err = etcdError('noLeader');
      done(err.code);
      closeAll();
      call.emit('error', err);
    });
    const send = (w: Wire | Buffer | FramedMessages): void => {
      if (!closed) call.write(w);
    };
    const create = (c: Wire): void => {
      let id = wireNum(c.watchId);
      if (id !== 0 && watchers.has(id)) {
        send({ header: ctx.header(), watchId: INVALID_WATCH_ID, created: true, canceled: true, cancelReason: 'mvcc: watcher ID is in use' });
        return;
      }
      if (id === 0) {
        while (watchers.has(nextId)) nextId++;
        id = nextId++;
      }
      const filters = Array.isArray(c.filters) ? (c.filters as number[]).map((f) => f as WatchFilterType) : [];
      const start = wireNum(c.startRevision);
      const w = kv.watch(c.key as Uint8Array, {
        rangeEnd: c.rangeEnd as Uint8Array, ...(start > 0 ? { startRevision: start } : {}), prevKv: c.prevKv === true,
        progressNotify: c.progressNotify === true, filters, fragment: c.fragment === true,
      });
      watchers.set(id, w);
      send({ header: ctx.header(), watchId: String(id), created: true });
      new WatchFeed(id, w, { send, framed }, () => watchers.delete(id)).start();
    };
    const progress = (): void => {
      const all = [...watchers.values()];
      if (all.every((w) => w.synced && w.backlog === 0)) send({ header: ctx.header(), watchId: INVALID_WATCH_ID });
      else for (const w of all) w.requestProgress();
    };
    call.on('data', (req: Wire) => {
      switch (req.requestUnion) {
        case 'createRequest': create(req.createRequest as Wire); break;
        case 'cancelRequest': {
          const id = wireNum((req.cancelRequest as Wire).watchId);
          const w = watchers.get(id);
          if (w !== undefined) w.cancel();
          break;
        }
        case 'progressRequest': progress(); break;
        default: break;
      }
    });
    call.on('end', () => {
      closeAll();
      done(Status.OK);
      call.end();
    });
    call.on('cancelled', () => {
      closeAll();
      done(Status.CANCELLED);
    });
    call.on('error', () => closeAll());
  };
  return { Watch: watch };
}
