import { status as Status, type handleBidiStreamingCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { KvClient } from '../kv/kv-client.js';
import type { WatchFilterType } from '../kv/watch/types.js';
import type { WatchBatch } from '../kv/watch/types.js';
import type { Watcher } from '../kv/watch/watcher.js';
import type { Wire } from './convert.js';
import { EmptyWatchRangeError } from '../kv/errors.js';
import { etcdError } from './errors.js';
import { watchLeaderLoss } from './lease.js';
import { encodeWatchFrames, encodeWatchResponse, fragmentBatch } from './watch-codec.js';
import { GRPC_OVERHEAD_BYTES, requiresLeader, wireNum, type RpcContext } from './rpc.js';
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
 * What one Watch stream sends, in order. The batches every watcher of the stream takes in one
 * microtask burst (the revisions of one applied batch) go in one write at the end of it, as framed
 * messages (one WatchResponse each, as when sent one by one), up to about {@link FRAMES_BYTES} per
 * write; a plain response first sends the batches queued before it. On a stream that does not take
 * framed messages, each batch is written as it comes.
 */
class StreamOut {
  readonly #write: (chunk: Wire | Buffer | FramedMessages) => void;
  readonly #framed: boolean;
  #batches: WatchBatch[] = [];
  #ids: number[] = [];
  #bytes = 0;
  #scheduled = false;

  /**
   * @param write - writes a chunk on the stream.
   * @param framed - whether the stream takes {@link FramedMessages}.
   */
  constructor(write: (chunk: Wire | Buffer | FramedMessages) => void, framed: boolean) {
    this.#write = write;
    this.#framed = framed;
  }

  /** Sends watcher `watchId`'s batch, at the end of the current burst. */
  batch(watchId: number, b: WatchBatch): void {
    if (!this.#framed) {
      this.#write(encodeWatchResponse(b, watchId));
      return;
    }
    const n = roughSize(b);
    if (this.#batches.length > 0 && this.#bytes + n > FRAMES_BYTES) this.#flush();
    this.#batches.push(b);
    this.#ids.push(watchId);
    this.#bytes += n;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushQueued);
    }
  }

  /** Sends a response (a plain object, encoded by the service's serializer) after every batch before it. */
  response(r: Wire): void {
    this.#flush();
    this.#write(r);
  }

  readonly #flushQueued = (): void => {
    this.#scheduled = false;
    this.#flush();
  };

  #flush(): void {
    if (this.#batches.length === 0) return;
    const batches = this.#batches;
    const ids = this.#ids;
    this.#batches = [];
    this.#ids = [];
    this.#bytes = 0;
    this.#write(new FramedMessages(encodeWatchFrames(batches, ids), batches.length));
  }
}

/**
 * Sends one watcher's batches on its stream as they become ready: the watcher calls back when a
 * batch is queued, and one microtask per burst then hands every ready batch to the stream's
 * {@link StreamOut}, with no promise or closure per batch.
 */
class WatchFeed {
  readonly #id: number;
  readonly #watcher: Watcher;
  readonly #out: StreamOut;
  readonly #finished: (compacted: boolean) => void;
  readonly #fragmentBytes: number | undefined;
  #scheduled = false;
  #compacted = false;

  /**
   * @param id - the watcher's stream-local id.
   * @param watcher - the watcher.
   * @param out - the stream's outgoing responses.
   * @param finished - called once, when the watch has ended and its last batch is sent (`compacted`: it was canceled by a compaction).
   * @param fragmentBytes - for a watcher created with `fragment`, etcd's limit (the request limit plus its gRPC overhead, 512 KiB): larger batches are sent in fragments ({@link fragmentBatch}).
   */
  constructor(id: number, watcher: Watcher, out: StreamOut, finished: (compacted: boolean) => void, fragmentBytes?: number) {
    this.#id = id;
    this.#watcher = watcher;
    this.#out = out;
    this.#finished = finished;
    this.#fragmentBytes = fragmentBytes;
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
    for (let b = w.take(); b !== undefined; b = w.take()) {
      if (!b.canceled) {
        if (this.#fragmentBytes === undefined) this.#out.batch(this.#id, b);
        else for (const part of fragmentBatch(b, this.#id, this.#fragmentBytes)) this.#out.batch(this.#id, part);
        continue;
      }
      // etcd's wire carries no cancel reason for a compaction or a client's cancel (raftkit/kv's
      // watcher names the reason for its own users).
      this.#compacted = b.compactRevision > 0;
      this.#out.batch(this.#id, { ...b, cancelReason: '' });
    }
    if (w.finished) {
      w.listen(undefined);
      this.#finished(this.#compacted);
    }
  };
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
    const done = ctx.grpc.start(labels, call.metadata);
    coalesceWrites(call);
    const framed = acceptFramed(call, sent);
    const watchers = new Map<number, Watcher>();
    let nextId = 0;
    /** Ids the client asked to cancel whose watcher has not finished yet. */
    const cancelAsked = new Set<number>();
    let closed = false;
    kv.metrics.watchStreams++;
    const closeAll = (): void => {
      if (!closed) kv.metrics.watchStreams--;
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
    const out = new StreamOut((w) => {
      if (!closed) call.write(w);
    }, framed);
    const send = (r: Wire): void => out.response(r);
    /** etcd's answer to a create it refuses: created and canceled at once, watch id -1. */
    const refuseCreate = (cancelReason: string): void => send({ header: ctx.header(), watchId: INVALID_WATCH_ID, created: true, canceled: true, cancelReason });
    /** etcd's acknowledgement of a client's cancel of a watcher that had already ended (by a compaction); frees its id. */
    const ackCancel = (id: number): void => {
      watchers.delete(id);
      send({ header: ctx.header(), watchId: String(id), canceled: true });
    };
    const create = (c: Wire): void => {
      const filters = Array.isArray(c.filters) ? (c.filters as number[]).map((f) => f as WatchFilterType) : [];
      const start = wireNum(c.startRevision);
      let w: Watcher;
      try {
        w = kv.watch(c.key as Uint8Array, {
          rangeEnd: c.rangeEnd as Uint8Array, ...(start > 0 ? { startRevision: start } : {}), prevKv: c.prevKv === true,
          // Fragments are cut here, from the encoded sizes, as etcd's server cuts them.
          progressNotify: c.progressNotify === true, filters, fragment: false,
        });
      } catch (e) {
        // As etcd: a created-and-canceled answer with watch id -1.
        if (!(e instanceof EmptyWatchRangeError)) throw e;
        refuseCreate(e.message);
        return;
      }
      // etcd checks the range first, then the id: an auto id (0) is the lowest free one from the
      // last given, a chosen one must be free.
      let id = wireNum(c.watchId);
      if (id !== 0 && watchers.has(id)) {
        w.cancel();
        refuseCreate('mvcc: duplicate watch ID provided on the WatchStream');
        return;
      }
      if (id === 0) {
        while (watchers.has(nextId)) nextId++;
        id = nextId++;
      }
      watchers.set(id, w);
      send({ header: ctx.header(), watchId: String(id), created: true });
      // As etcd, a watcher canceled by a compaction keeps its id until the client cancels it.
      new WatchFeed(id, w, out, (compacted) => {
        const asked = cancelAsked.delete(id);
        if (!compacted) watchers.delete(id);
        else if (asked) ackCancel(id);
      }, c.fragment === true ? ctx.maxRequestBytes + GRPC_OVERHEAD_BYTES : undefined).start();
    };
    const progress = (): void => {
      const all = [...watchers.values()].filter((w) => !w.finished);
      if (all.every((w) => w.synced && w.backlog === 0)) send({ header: ctx.header(), watchId: INVALID_WATCH_ID });
      else for (const w of all) w.requestProgress();
    };
    call.on('data', (req: Wire) => {
      switch (req.requestUnion) {
        case 'createRequest': create(req.createRequest as Wire); break;
        case 'cancelRequest': {
          const id = wireNum((req.cancelRequest as Wire).watchId);
          const w = watchers.get(id);
          if (w?.finished === true) {
            ackCancel(id); // a watcher a compaction ended
          } else if (w !== undefined) {
            cancelAsked.add(id);
            w.cancel();
          }
          break;
        }
        case 'progressRequest': progress(); break;
        default: break;
      }
    });
    // A client that half-closes keeps its watchers, as etcd's Watch server does (the JSON gateway
    // half-closes once the request body is read): the stream ends when the client cancels it.
    call.on('cancelled', () => {
      closeAll();
      done(Status.CANCELLED);
    });
    call.on('error', () => closeAll());
  };
  return { Watch: watch };
}
