import { DuplicateKeyError, EmptyKeyError, KeyNotFoundError, LeaseProvidedError, TooManyOpsError, ValueProvidedError } from '../errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../types.js';
import { toBytes, toKey } from './bytes.js';

/** etcd's default limit on the operations of one txn (`--max-txn-ops`). */
export const DEFAULT_MAX_TXN_OPS = 128;

const isEmpty = (b: Uint8Array | string | undefined): boolean => (b === undefined ? true : typeof b === 'string' ? b.length === 0 : b.byteLength === 0);

/** Checks a range before it is served (etcd's `checkRangeRequest`). */
export function checkRange(r: RangeRequest): void {
  if (isEmpty(r.key)) throw new EmptyKeyError();
}

/** Checks a put before it is proposed (etcd's `checkPutRequest`). */
export function checkPut(r: PutRequest): void {
  if (isEmpty(r.key)) throw new EmptyKeyError();
  if (r.ignoreValue === true && !isEmpty(r.value)) throw new ValueProvidedError();
  if (r.ignoreLease === true && (r.lease ?? 0n) !== 0n) throw new LeaseProvidedError();
}

/** Checks a delete before it is proposed (etcd's `checkDeleteRequest`). */
export function checkDelete(r: DeleteRangeRequest): void {
  if (isEmpty(r.key)) throw new EmptyKeyError();
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  if ('requestRange' in op) checkRange(op.requestRange);
  else if ('requestPut' in op) checkPut(op.requestPut);
  else if ('requestDeleteRange' in op) checkDelete(op.requestDeleteRange);
  else if ('requestTxn' in op) checkTxnShape(op.requestTxn, maxTxnOps);
  else throw new KeyNotFoundError();
}

/**
 * Checks a txn's shape (etcd's `checkTxnRequest`): the largest of its compare, success and
 * failure lists may not exceed `maxTxnOps`; nested txns get what is left of the budget
 * (`maxTxnOps` minus that largest list); every key must be given.
 */
function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(r.compare?.length ?? 0, r.success?.length ?? 0, r.failure?.length ?? 0);
  if (opc > maxTxnOps) throw new TooManyOpsError();
  for (const c of r.compare ?? []) if (isEmpty(c.key)) throw new EmptyKeyError();
  for (const op of r.success ?? []) checkOp(op, maxTxnOps - opc);
  for (const op of r.failure ?? []) checkOp(op, maxTxnOps - opc);
}

/** A half-open key interval in binary-string form; `end === ''` is unbounded (etcd's affine intervals). */
interface Interval {
  begin: string;
  end: string;
}

/** `a < b` where the empty string is +infinity (etcd's `StringAffineComparable`). */
function affineLess(a: string, b: string): boolean {
  if (a === '') return false;
  if (b === '') return true;
  return a < b;
}

const point = (k: string): Interval => ({ begin: k, end: k + '\0' });
const intersects = (a: Interval, b: Interval): boolean => affineLess(a.begin, b.end) && affineLess(b.begin, a.end);

/**
 * Finds keys written twice in one branch of a txn (etcd's `checkIntervals`): two puts of a
 * key, or a put of a key inside a deleted range, at this level or in nested txns. The success
 * and failure branches of a nested txn may put the same key (only one of them runs). A delete
 * whose range end is `"\0"` is an empty interval here, as in etcd, so it never conflicts.
 */
function checkIntervals(reqs: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of reqs) {
    if (!('requestDeleteRange' in op)) continue;
    const d = op.requestDeleteRange;
    const begin = toKey(toBytes(d.key));
    dels.push(isEmpty(d.rangeEnd) ? point(begin) : { begin, end: toKey(toBytes(d.rangeEnd)) });
  }
  const deleted = (k: string): boolean => dels.some((iv) => intersects(iv, point(k)));
  const puts = new Set<string>();
  for (const op of reqs) {
    if (!('requestTxn' in op)) continue;
    const then = checkIntervals(op.requestTxn.success ?? []);
    const otherwise = checkIntervals(op.requestTxn.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || deleted(k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw new DuplicateKeyError();
      if (deleted(k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of reqs) {
    if (!('requestPut' in op)) continue;
    const k = toKey(toBytes(op.requestPut.key));
    if (puts.has(k) || deleted(k)) throw new DuplicateKeyError();
    puts.add(k);
  }
  return { puts, dels };
}

/**
 * Validates a txn before it is proposed, as etcd's gRPC layer does: the operation limit and
 * keys ({@link TooManyOpsError}, {@link EmptyKeyError}, ...), then duplicate writes in the
 * success and in the failure branch ({@link DuplicateKeyError}).
 */
export function checkTxn(r: TxnRequest, maxTxnOps = DEFAULT_MAX_TXN_OPS): void {
  checkTxnShape(r, maxTxnOps);
  checkIntervals(r.success ?? []);
  checkIntervals(r.failure ?? []);
}
