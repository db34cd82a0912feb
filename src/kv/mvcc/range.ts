import type { KeyValue, RangeRequest, RangeResponse, ResponseHeader } from '../types.js';
import { SortOrder, SortTarget } from '../types.js';
import { compareBytes, keyRange, toBytes, type KeyRange } from './bytes.js';
import type { RangeKeysOptions, RangeKeysResult, ReadView } from './store.js';

const EMPTY = new Uint8Array(0);

/** A header carrying only a revision; the KV layer fills the ids and the term of top-level responses. */
export function revisionHeader(revision: number): ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0 };
}

const byTarget: Record<SortTarget, (a: KeyValue, b: KeyValue) => number> = {
  [SortTarget.KEY]: (a, b) => compareBytes(a.key, b.key),
  [SortTarget.VERSION]: (a, b) => a.version - b.version,
  [SortTarget.CREATE]: (a, b) => a.createRevision - b.createRevision,
  [SortTarget.MOD]: (a, b) => a.modRevision - b.modRevision,
  [SortTarget.VALUE]: (a, b) => compareBytes(a.value, b.value),
};

/**
 * A range read with etcd's exact option semantics (etcd's `applierV3backend.Range`):
 *
 * - `count` is the number of keys in the range at the revision read, before `limit` and
 *   before the min/max revision filters.
 * - Without sorting or filters, `limit + 1` keys are fetched; `more` says whether the extra
 *   one exists. With a sort order or any min/max filter, every key is fetched, filtered,
 *   sorted, and then cut at `limit` (`more` = the filtered list was longer than `limit`).
 * - A sort target other than KEY with order NONE sorts ascending, but (as etcd) does not
 *   disable the `limit + 1` fetch: the sort then applies to the first `limit + 1` keys only.
 * - `header.revision` is the view's revision, not the revision read.
 *
 * Sorting is stable (ties stay in key order); etcd's is not, so the order of ties differs.
 */
export async function range(view: ReadView, r: RangeRequest): Promise<RangeResponse> {
  const [keys, ro] = rangeKeysArgs(r);
  return rangeResponse(r, await view.rangeKeys(keys, ro));
}

/**
 * {@link range} answered at once when the view can read without waiting (`ReadView.rangeKeysNow`:
 * every value in memory), else undefined (then read through {@link range}). Throws what `range` rejects with.
 */
export function rangeNow(view: ReadView, r: RangeRequest): RangeResponse | undefined {
  if (view.rangeKeysNow === undefined) return undefined;
  const [keys, ro] = rangeKeysArgs(r);
  const rr = view.rangeKeysNow(keys, ro);
  return rr === undefined ? undefined : rangeResponse(r, rr);
}

/** Whether `r` filters by a min or max revision. */
function filters(r: RangeRequest): boolean {
  return (r.minModRevision ?? 0) !== 0 || (r.maxModRevision ?? 0) !== 0 || (r.minCreateRevision ?? 0) !== 0 || (r.maxCreateRevision ?? 0) !== 0;
}

/** What the store reads for `r`: the key range and the options (the limit fetched: `limit + 1`, or all with a sort or filter). */
function rangeKeysArgs(r: RangeRequest): [KeyRange, RangeKeysOptions] {
  const userLimit = r.limit ?? 0;
  let limit = (r.sortOrder ?? SortOrder.NONE) !== SortOrder.NONE || filters(r) ? 0 : userLimit;
  if (limit > 0) limit++;
  return [keyRange(toBytes(r.key), toBytes(r.rangeEnd)), { limit, rev: r.revision ?? 0, count: r.countOnly ?? false }];
}

/** The response to `r` from what the store read: filtered, sorted and cut at the limit as etcd does. */
function rangeResponse(r: RangeRequest, rr: RangeKeysResult): RangeResponse {
  const sortOrder = r.sortOrder ?? SortOrder.NONE;
  const sortTarget = r.sortTarget ?? SortTarget.KEY;
  const filtered = filters(r);
  const userLimit = r.limit ?? 0;
  let kvs = rr.kvs;
  if (filtered) {
    const { minModRevision: minMod = 0, maxModRevision: maxMod = 0, minCreateRevision: minCreate = 0, maxCreateRevision: maxCreate = 0 } = r;
    kvs = kvs.filter(
      (kv) =>
        !(maxMod !== 0 && kv.modRevision > maxMod) &&
        !(minMod !== 0 && kv.modRevision < minMod) &&
        !(maxCreate !== 0 && kv.createRevision > maxCreate) &&
        !(minCreate !== 0 && kv.createRevision < minCreate),
    );
  }
  const order = sortTarget !== SortTarget.KEY && sortOrder === SortOrder.NONE ? SortOrder.ASCEND : sortOrder;
  if (order !== SortOrder.NONE) {
    const cmp = byTarget[sortTarget];
    kvs = [...kvs].sort(order === SortOrder.ASCEND ? cmp : (a, b) => cmp(b, a));
  }
  let more = false;
  if (userLimit > 0 && kvs.length > userLimit) {
    kvs = kvs.slice(0, userLimit);
    more = true;
  }
  if (r.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { header: revisionHeader(rr.rev), kvs, more, count: rr.count };
}
