import type {
  Compare, CompareResult, CompareTarget, DeleteRangeRequest, KeyValue, PutRequest, RangeRequest, RequestOp, ResponseHeader, ResponseOp,
  SortOrder, SortTarget, TxnRequest,
} from '../kv/types.js';
import { wireBig, wireNum, type WireHeader } from './rpc.js';

/** A decoded request message as proto-loader hands it over: camelCase fields, int64 as strings, bytes as Buffers. */
export type Wire = Record<string, unknown>;

const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
const bool = (v: unknown): boolean => v === true;

/** A response header for the wire. */
export function headerOut(h: ResponseHeader): WireHeader {
  return { clusterId: String(h.clusterId), memberId: String(h.memberId), revision: String(h.revision), raftTerm: String(h.raftTerm) };
}

/** `mvccpb.KeyValue` for the wire. */
export function kvOut(kv: KeyValue): Wire {
  return {
    key: kv.key, createRevision: String(kv.createRevision), modRevision: String(kv.modRevision), version: String(kv.version), value: kv.value, lease: String(kv.lease),
  };
}

/** A `RangeRequest` from the wire. */
export function rangeIn(w: Wire): RangeRequest {
  return {
    key: bytes(w.key), rangeEnd: bytes(w.rangeEnd), limit: wireNum(w.limit), revision: wireNum(w.revision),
    sortOrder: wireNum(w.sortOrder) as SortOrder, sortTarget: wireNum(w.sortTarget) as SortTarget,
    serializable: bool(w.serializable), keysOnly: bool(w.keysOnly), countOnly: bool(w.countOnly),
    minModRevision: wireNum(w.minModRevision), maxModRevision: wireNum(w.maxModRevision),
    minCreateRevision: wireNum(w.minCreateRevision), maxCreateRevision: wireNum(w.maxCreateRevision),
  };
}

/** A `PutRequest` from the wire. */
export function putIn(w: Wire): PutRequest {
  return { key: bytes(w.key), value: bytes(w.value), lease: wireBig(w.lease), prevKv: bool(w.prevKv), ignoreValue: bool(w.ignoreValue), ignoreLease: bool(w.ignoreLease) };
}

/** A `DeleteRangeRequest` from the wire. */
export function deleteIn(w: Wire): DeleteRangeRequest {
  return { key: bytes(w.key), rangeEnd: bytes(w.rangeEnd), prevKv: bool(w.prevKv) };
}

function compareIn(w: Wire): Compare {
  const c: Compare = { result: wireNum(w.result) as CompareResult, target: wireNum(w.target) as CompareTarget, key: bytes(w.key), rangeEnd: bytes(w.rangeEnd) };
  switch (w.targetUnion) {
    case 'version': c.version = wireNum(w.version); break;
    case 'createRevision': c.createRevision = wireNum(w.createRevision); break;
    case 'modRevision': c.modRevision = wireNum(w.modRevision); break;
    case 'value': c.value = bytes(w.value); break;
    case 'lease': c.lease = wireBig(w.lease); break;
    default: break;
  }
  return c;
}

function opIn(w: Wire): RequestOp {
  switch (w.request) {
    case 'requestRange': return { requestRange: rangeIn(w.requestRange as Wire) };
    case 'requestPut': return { requestPut: putIn(w.requestPut as Wire) };
    case 'requestDeleteRange': return { requestDeleteRange: deleteIn(w.requestDeleteRange as Wire) };
    case 'requestTxn': return { requestTxn: txnIn(w.requestTxn as Wire) };
    default: return { requestRange: rangeIn({}) };
  }
}

/** A `TxnRequest` from the wire. */
export function txnIn(w: Wire): TxnRequest {
  const list = (v: unknown): Wire[] => (Array.isArray(v) ? (v as Wire[]) : []);
  return { compare: list(w.compare).map(compareIn), success: list(w.success).map(opIn), failure: list(w.failure).map(opIn) };
}

/** The number of operations in a txn, nested txns' included (what `--max-txn-ops` limits per branch). */
export function txnOps(t: TxnRequest): number {
  const branch = (ops: RequestOp[] | undefined): number => (ops ?? []).length;
  return Math.max(branch(t.success), branch(t.failure), (t.compare ?? []).length);
}

/** A response of the KV service for the wire (headers and key-values converted, the rest as is). */
export function responseOut(r: { header: ResponseHeader } & Record<string, unknown>): Wire {
  const out: Wire = { ...r, header: headerOut(r.header) };
  if (Array.isArray(r.kvs)) out.kvs = (r.kvs as KeyValue[]).map(kvOut);
  if (Array.isArray(r.prevKvs)) out.prevKvs = (r.prevKvs as KeyValue[]).map(kvOut);
  if (r.prevKv !== undefined) out.prevKv = kvOut(r.prevKv as KeyValue);
  for (const f of ['count', 'deleted'] as const) if (typeof r[f] === 'number') out[f] = String(r[f]);
  if (Array.isArray(r.responses)) out.responses = (r.responses as ResponseOp[]).map(opOut);
  return out;
}

function opOut(op: ResponseOp): Wire {
  if ('responseRange' in op) return { responseRange: responseOut(op.responseRange as never) };
  if ('responsePut' in op) return { responsePut: responseOut(op.responsePut as never) };
  if ('responseDeleteRange' in op) return { responseDeleteRange: responseOut(op.responseDeleteRange as never) };
  return { responseTxn: responseOut(op.responseTxn as never) };
}
