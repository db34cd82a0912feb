import type { KeyValue, RangeRequest, ResponseOp } from '../../src/kv/types.js';
import { SortTarget } from '../../src/kv/types.js';

/**
 * Both sides' responses are reduced to these plain views (strings for numbers and bytes), the
 * fields etcd and raftkit/kv define alike. Deliberate differences are handled here, by name:
 *
 * - SORT_TIES: etcd sorts with Go's unstable sort; raftkit/kv's sort is stable (ties in key
 *   order). For sorts on a non-key target, the views keep the sequence of sort values, and the
 *   key-values as a set, leaving out those tied with the last one when `more` is set (which of
 *   them the limit cut is unspecified in etcd).
 * - HEADER_IDS: cluster and member ids and the term differ by construction; only
 *   `header.revision` is compared.
 */
export type View = unknown;

export interface RawKv {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number | string;
  modRevision: number | string;
  version: number | string;
  lease: bigint | string | number;
}

const s = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
export const kvView = (kv: RawKv | KeyValue): string => `${s(kv.key)}=${s(kv.value)}@c${String(kv.createRevision)}m${String(kv.modRevision)}v${String(kv.version)}l${String(kv.lease)}`;

const targetOf: Record<number, (kv: RawKv) => string> = {
  [SortTarget.KEY]: (kv) => s(kv.key),
  [SortTarget.VERSION]: (kv) => String(kv.version),
  [SortTarget.CREATE]: (kv) => String(kv.createRevision),
  [SortTarget.MOD]: (kv) => String(kv.modRevision),
  [SortTarget.VALUE]: (kv) => s(kv.value),
};

/** A range response as a view (see SORT_TIES). */
export function rangeView(req: RangeRequest, r: { revision: string; kvs: RawKv[]; more: boolean; count: string }): View {
  const target = req.sortTarget ?? SortTarget.KEY;
  const sorted = target !== SortTarget.KEY;
  if (!sorted) return { rev: r.revision, kvs: r.kvs.map(kvView), more: r.more, count: r.count };
  const values = r.kvs.map(targetOf[target]!);
  const boundary = r.more ? values[values.length - 1] : undefined;
  const set = r.kvs.filter((_, i) => values[i] !== boundary).map(kvView).sort();
  return { rev: r.revision, sortValues: values, kvSet: set, more: r.more, count: r.count };
}

/** The op kinds of a txn response, for views. */
export type ResponseView = { range: View } | { put: View } | { del: View } | { txn: View };
export type { ResponseOp };
