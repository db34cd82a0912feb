import { CompactedRevisionError, FutureRevisionError, KeyNotFoundError, LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError } from '../errors.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  LeaseGrantResponse,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../types.js';
import { keyRange, toBytes, toKey } from './bytes.js';
import { compareToPath } from './compare.js';
import { MAX_LEASE_TTL } from './lease-table.js';
import { CountedView, type MvccOpCounts } from './op-counts.js';
import { range, revisionHeader } from './range.js';
import type { Change, MvccStore, ReadView } from './store.js';
import { WriteTxn } from './write-txn.js';

/** What one write did to the store, for the backend to persist. */
export interface Effects {
  /** The changes, in revision order (one revision at most). */
  changes: Change[];
  /** Set when the command compacted: the revision and the records at or below it to keep. */
  compaction?: { rev: number; keep: Set<string> };
}

/** A response and the effects of producing it. */
export interface Applied<T> {
  /** The response (header: revision only). */
  response: T;
  /** The effects to persist. */
  effects: Effects;
}

const single = (key: Uint8Array | string): { start: string; end: undefined } => ({ start: toKey(toBytes(key)), end: undefined });
const ALL = { limit: 0, rev: 0, count: false };

/**
 * Applies the KV's writes to an {@link MvccStore} with etcd's semantics (etcd's
 * `applierV3backend` and `lessor` without clocks). Each method either throws a `KvError` having
 * changed nothing, or returns the response and the effects of exactly one store revision (or
 * none, when nothing was written).
 */
export class MvccApplier {
  private readonly store: MvccStore;
  private readonly minLeaseTtl: number;

  /**
   * @param store - the store.
   * @param minLeaseTtl - the smallest lease TTL in seconds; shorter grants are raised to it.
   */
  constructor(store: MvccStore, minLeaseTtl: number) {
    this.store = store;
    this.minLeaseTtl = minLeaseTtl;
  }

  private async write<T>(fn: (tw: WriteTxn) => Promise<T>): Promise<Applied<T>> {
    const tw = new WriteTxn(this.store);
    try {
      const response = await fn(tw);
      return { response, effects: { changes: tw.changes } };
    } finally {
      tw.end();
    }
  }

  /**
   * A put (etcd's `Put`): the lease must exist; `ignoreValue`/`ignoreLease` need the key. A
   * put that reads nothing first (no `prevKv`, `ignoreValue`, `ignoreLease`) is applied at once
   * and returned as is, without the promises of the reading path; its record holds the request's
   * key and value bytes (views into the command's entry, never modified), not copies.
   */
  put(r: PutRequest): Applied<PutResponse> | Promise<Applied<PutResponse>> {
    const lease = leaseOf(r);
    if (lease !== 0n && this.store.leases.get(lease) === undefined) return Promise.reject(new LeaseNotFoundError());
    if (r.ignoreValue === true || r.ignoreLease === true || r.prevKv === true) return this.write((tw) => putIn(tw, r));
    const tw = new WriteTxn(this.store);
    try {
      const value = toBytes(r.value);
      const key = toBytes(r.key);
      return { response: { header: revisionHeader(tw.put(toKey(key), value, lease, key)) }, effects: { changes: tw.changes } };
    } finally {
      tw.end();
    }
  }

  /** A delete of a key or range (etcd's `DeleteRange`). */
  deleteRange(r: DeleteRangeRequest): Promise<Applied<DeleteRangeResponse>> {
    return this.write((tw) => deleteIn(tw, r));
  }

  /**
   * A txn (etcd's `Txn`): every compare (nested ones too) is evaluated against the state before
   * the txn; then the puts and ranges on the chosen path are checked against that state (lease
   * exists, key exists for `ignoreValue`/`ignoreLease`, revision readable), and only then are
   * the operations run, all at one revision.
   */
  async txn(rt: TxnRequest): Promise<Applied<TxnResponse>> {
    // The compares and the checks read in a txn of their own, then the ops run in the write, as
    // etcd's apply reads then writes (each counted in the store's operations).
    const rv = new CountedView(this.store.appliedView(), this.store.ops);
    let path: boolean[];
    try {
      path = await compareToPath(rv, rt);
      await checkPath(rt, path, 0, (op) => this.checkPut(rv, op));
      await checkPath(rt, path, 0, (op) => checkRange(rv, op));
    } finally {
      rv.end();
    }
    const applied = await this.write(async (tw) => {
      const resp: TxnResponse = { header: revisionHeader(0), succeeded: path[0]!, responses: [] };
      await runTxn(tw, tw, rt, path, 0, resp);
      return resp;
    });
    applied.response.header = revisionHeader(this.store.rev);
    return applied;
  }

  private async checkPut(rv: ReadView, op: RequestOp): Promise<void> {
    if (!('requestPut' in op)) return;
    const r = op.requestPut;
    if (r.ignoreValue === true || r.ignoreLease === true) {
      if ((await rv.rangeKeys(single(r.key), ALL)).kvs.length === 0) throw new KeyNotFoundError();
    }
    const lease = r.lease ?? 0n;
    if (lease !== 0n && this.store.leases.get(lease) === undefined) throw new LeaseNotFoundError();
  }

  /**
   * A compaction (etcd's `Compact`): history before `revision` goes from the index; the
   * effects name the records the backend keeps. Takes no revision.
   */
  compact(r: CompactionRequest): Applied<CompactionResponse> {
    const keep = this.store.compact(r.revision);
    // etcd reads its store's revision for the response with a range of a key, which counts as a range.
    this.store.ops.ranges++;
    return { response: { header: revisionHeader(this.store.rev) }, effects: { changes: [], compaction: { rev: r.revision, keep } } };
  }

  /** A lease grant (etcd's `lessor.Grant`): id 0 is refused, TTLs below the minimum are raised. */
  grant(id: bigint, ttl: number): Applied<LeaseGrantResponse> {
    if (id === 0n) throw new LeaseNotFoundError();
    if (ttl > MAX_LEASE_TTL) throw new LeaseTtlTooLargeError();
    if (this.store.leases.get(id) !== undefined) throw new LeaseExistsError();
    const l = this.store.leases.add(id, Math.max(ttl, this.minLeaseTtl));
    this.store.ops.leaseGrants++;
    return { response: { header: revisionHeader(this.store.rev), id, ttl: l.ttl }, effects: { changes: [] } };
  }

  /** A lease revoke (etcd's `lessor.Revoke`): deletes the attached keys, in key order, at one revision. */
  async revoke(id: bigint): Promise<Applied<LeaseRevokeResponse>> {
    const l = this.store.leases.get(id);
    if (l === undefined) throw new LeaseNotFoundError();
    const keys = [...l.keys].sort();
    const applied = await this.write((tw) => {
      for (const k of keys) tw.deleteRange({ start: k, end: undefined });
      return Promise.resolve({ header: revisionHeader(0) });
    });
    this.store.leases.remove(id);
    this.store.ops.leaseRevokes++;
    applied.response.header = revisionHeader(this.store.rev);
    return applied;
  }

  /** Records leases' remaining TTLs (etcd's `LeaseCheckpoint`); unknown leases are skipped. */
  checkpoint(checkpoints: readonly { id: bigint; remainingTtl: number }[]): Applied<object> {
    for (const c of checkpoints) this.store.leases.checkpoint(c.id, c.remainingTtl);
    return { response: { header: revisionHeader(this.store.rev) }, effects: { changes: [] } };
  }
}

/** A put's lease: a decoded request's 0n is a bigint of its own, the literal's is shared by every record. */
function leaseOf(r: PutRequest): bigint {
  return r.lease === undefined || r.lease === 0n ? 0n : r.lease;
}

/** A put inside a write (a txn, or a put that reads first); its record holds the request's key and value bytes, as {@link MvccApplier.put}'s. */
async function putIn(tw: WriteTxn, r: PutRequest): Promise<PutResponse> {
  let value = toBytes(r.value);
  let lease = leaseOf(r);
  let prev: KeyValue | undefined;
  const keyBytes = toBytes(r.key);
  const key = toKey(keyBytes);
  if (r.ignoreValue === true || r.ignoreLease === true || r.prevKv === true) prev = (await tw.rangeKeys({ start: key, end: undefined }, ALL)).kvs[0];
  if (r.ignoreValue === true || r.ignoreLease === true) {
    if (prev === undefined) throw new KeyNotFoundError();
    if (r.ignoreValue === true) value = prev.value;
    if (r.ignoreLease === true) lease = prev.lease;
  }
  const resp: PutResponse = { header: revisionHeader(tw.put(key, value, lease, keyBytes)) };
  if (r.prevKv === true && prev !== undefined) resp.prevKv = prev;
  return resp;
}

async function deleteIn(tw: WriteTxn, r: DeleteRangeRequest): Promise<DeleteRangeResponse> {
  const kr = keyRange(toBytes(r.key), toBytes(r.rangeEnd));
  const prevKvs = r.prevKv === true ? (await tw.rangeKeys(kr, ALL)).kvs : [];
  const { deleted, rev } = tw.deleteRange(kr);
  return { header: revisionHeader(rev), deleted, prevKvs };
}

/** Walks the ops on `path` (etcd's `checkRequests`); returns how many nested txns it consumed. */
async function checkPath(rt: TxnRequest, path: readonly boolean[], at: number, f: (op: RequestOp) => Promise<void>): Promise<number> {
  let used = 0;
  for (const op of (path[at]! ? rt.success : rt.failure) ?? []) {
    if ('requestTxn' in op) {
      const n = await checkPath(op.requestTxn, path, at + used + 1, f);
      used += n + 1;
      continue;
    }
    await f(op);
  }
  return used;
}

function checkRange(rv: ReadView, op: RequestOp): Promise<void> {
  if (!('requestRange' in op)) return Promise.resolve();
  const rev = op.requestRange.revision ?? 0;
  if (rev === 0) return Promise.resolve();
  if (rev > rv.rev) return Promise.reject(new FutureRevisionError());
  if (rev < rv.firstRev) return Promise.reject(new CompactedRevisionError());
  return Promise.resolve();
}

/** Runs the ops on `path`; `tw` is undefined for a read-only txn (which has no writes). */
async function runTxn(view: ReadView, tw: WriteTxn | undefined, rt: TxnRequest, path: readonly boolean[], at: number, resp: TxnResponse): Promise<number> {
  let used = 0;
  for (const op of (path[at]! ? rt.success : rt.failure) ?? []) {
    let r: ResponseOp;
    if ('requestRange' in op) r = { responseRange: await range(view, op.requestRange) };
    else if ('requestPut' in op) r = { responsePut: await putIn(tw!, op.requestPut) };
    else if ('requestDeleteRange' in op) r = { responseDeleteRange: await deleteIn(tw!, op.requestDeleteRange) };
    else {
      // As etcd, a nested txn's header stays zero (etcd's newTxnResp never fills it).
      const inner: TxnResponse = { header: revisionHeader(0), succeeded: path[at + used + 1]!, responses: [] };
      const n = await runTxn(view, tw, op.requestTxn, path, at + used + 1, inner);
      used += n + 1;
      r = { responseTxn: inner };
    }
    resp.responses.push(r);
  }
  return used;
}

/** Whether a txn only reads, in both branches and every nested txn (etcd's `isTxnReadonly` refined). */
export function isReadOnlyTxn(rt: TxnRequest): boolean {
  return [...(rt.success ?? []), ...(rt.failure ?? [])].every((op) => 'requestRange' in op || ('requestTxn' in op && isReadOnlyTxn(op.requestTxn)));
}

/**
 * Serves a read-only txn from a view without Raft, as etcd does: compares, the range checks on
 * the chosen path, then the ranges. The header revision is the view's.
 */
export async function readOnlyTxn(view: ReadView, rt: TxnRequest, ops: MvccOpCounts): Promise<TxnResponse> {
  const cv = new CountedView(view, ops);
  try {
    const path = await compareToPath(cv, rt);
    await checkPath(rt, path, 0, (op) => checkRange(cv, op));
    const resp: TxnResponse = { header: revisionHeader(cv.rev), succeeded: path[0]!, responses: [] };
    await runTxn(cv, undefined, rt, path, 0, resp);
    return resp;
  } finally {
    cv.end();
  }
}
