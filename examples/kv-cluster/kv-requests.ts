/**
 * The demo members' requests on raftkit/kv (see member.ts for the protocol): put, get, delete
 * and compare-and-set of one string key, a dump of every key, and watches, each mapped to
 * the `KvClient` call an etcd client would make.
 */
import { CompareResult, CompareTarget, EventType, type KeyValue, type KvClient, type KvRequestOptions } from 'raftkit/kv';

const dec = new TextDecoder();
const text = (kv: KeyValue | undefined): string | undefined => (kv === undefined ? undefined : dec.decode(kv.value));

/** What put and delete answer: the key's previous value, if any, and the revision of the change. */
export interface WriteResult {
  prev: string | undefined;
  revision: number;
}

/** What compare-and-set answers. */
export interface CasResult extends WriteResult {
  /** Whether the key held `expected`, so `value` was written. */
  swapped: boolean;
}

/** Writes `key` (etcd `Put` with `prevKv`); `options` bound it (`timeoutMs`) as an etcd client's context does. */
export async function put(kv: KvClient, key: string, value: string, options: KvRequestOptions = {}): Promise<WriteResult> {
  const r = await kv.put(key, value, { ...options, prevKv: true });
  return { prev: text(r.prevKv), revision: r.header.revision };
}

/** Deletes `key` (etcd `DeleteRange` with `prevKv`). */
export async function del(kv: KvClient, key: string, options: KvRequestOptions = {}): Promise<WriteResult> {
  const r = await kv.deleteRange(key, { ...options, prevKv: true });
  return { prev: text(r.prevKvs[0]), revision: r.header.revision };
}

/**
 * Compare-and-set as one txn: if the key's value is `expected` (`null`: the key does not exist,
 * its create revision is 0), put `value`; otherwise read the key, for the answer's `prev`.
 */
export async function cas(kv: KvClient, key: string, expected: string | null, value: string, options: KvRequestOptions = {}): Promise<CasResult> {
  const r = await kv.txn({
    compare: [expected === null ? { key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 } : { key, target: CompareTarget.VALUE, result: CompareResult.EQUAL, value: expected }],
    success: [{ requestPut: { key, value, prevKv: true } }],
    failure: [{ requestRange: { key } }],
  }, options);
  const op = r.responses[0];
  const prev = op !== undefined && 'responsePut' in op ? op.responsePut.prevKv : op !== undefined && 'responseRange' in op ? op.responseRange.kvs[0] : undefined;
  return { prev: text(prev), swapped: r.succeeded, revision: r.header.revision };
}

/** The value of `key`, read locally: call it after a read barrier (`Replica.read`) for a linearizable read. */
export async function getLocal(kv: KvClient, key: string): Promise<string | null> {
  return text((await kv.range(key, { serializable: true })).kvs[0]) ?? null;
}

/** Every key and value, read locally (after a read barrier, a linearizable read) by one range over the whole key space. */
export async function dumpLocal(kv: KvClient): Promise<Record<string, string>> {
  const r = await kv.range('\0', { rangeEnd: '\0', serializable: true });
  return Object.fromEntries(r.kvs.map((x) => [dec.decode(x.key), dec.decode(x.value)]));
}

/** One watch event on the wire: kind, key, value and revision. */
export type WireEvent = ['put' | 'delete', string, string, number];

/** What a batch of a watch says besides its events: the revision it is current as of, and whether it is a progress notification. */
export interface WireBatch {
  revision: number;
  progress: boolean;
}

/**
 * Opens a watch on `key` (every key with that prefix when `prefix`) from `startRevision`
 * (default: the next revision) and hands each batch to `emit` as wire events, then `end`
 * with the reason once the watch ends. With `progressNotify`, progress notifications (no events:
 * every event up to the batch's revision was delivered) are handed over too. Returns the watch
 * id, its first revision, and `requestProgress` (asks the watch for a progress notification).
 */
export function watch(
  kv: KvClient,
  spec: { key: string; prefix: boolean; startRevision?: number | undefined; progressNotify?: boolean | undefined },
  emit: (watchId: number, events: WireEvent[], batch: WireBatch) => void,
  end: (watchId: number, reason: string) => void,
): { watchId: number; startRevision: number; requestProgress: () => void } {
  const w = kv.watch(spec.key, { prefix: spec.prefix, startRevision: spec.startRevision, progressNotify: spec.progressNotify === true });
  const startRevision = w.next;
  void (async () => {
    let reason = 'the member stopped';
    try {
      for await (const b of w) {
        const batch = { revision: b.header.revision, progress: b.progressNotify };
        if (b.events.length > 0 || (b.progressNotify && spec.progressNotify === true)) {
          emit(w.id, b.events.map((e) => [e.type === EventType.PUT ? 'put' : 'delete', dec.decode(e.kv.key), dec.decode(e.kv.value), e.kv.modRevision]), batch);
        }
        if (b.canceled) reason = b.cancelReason || `compacted at ${b.compactRevision}`;
      }
    } catch (err) {
      reason = String(err);
    }
    end(w.id, reason);
  })();
  return { watchId: w.id, startRevision, requestProgress: () => w.requestProgress() };
}
