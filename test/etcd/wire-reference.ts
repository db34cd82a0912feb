/**
 * The reference the hand codecs are checked against: how raftkit/etcd's handlers turned
 * protobufjs's decoding (camelCase, int64 as decimal strings, `oneof` names, defaults) into
 * raftkit/kv's requests, and raftkit/kv's responses into objects for protobufjs's encoder, before
 * request-codec.ts and response-codec.ts replaced them.
 */
import { wireBig, wireNum } from '../../src/etcd/rpc.js';
import type {
  Compare, CompareResult, CompareTarget, DeleteRangeRequest, KeyValue, PutRequest, RangeRequest, RequestOp, ResponseHeader, ResponseOp,
  SortOrder, SortTarget, TxnRequest,
} from '../../src/kv/types.js';

/** A decoded message as proto-loader hands it over. */
export type Wire = Record<string, unknown>;

// Absent bytes (only in an empty RequestOp's range: protobufjs gives defaults otherwise) as the empty Buffer the hand decoders use.
const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : Buffer.alloc(0));
const bool = (v: unknown): boolean => v === true;

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

const headerOut = (h: ResponseHeader): Wire => ({ clusterId: String(h.clusterId), memberId: String(h.memberId), revision: String(h.revision), raftTerm: String(h.raftTerm) });

const kvOut = (kv: KeyValue): Wire => ({
  key: kv.key, createRevision: String(kv.createRevision), modRevision: String(kv.modRevision), version: String(kv.version), value: kv.value, lease: String(kv.lease),
});

/** A response of the KV service for protobufjs's encoder (headers and key-values converted, the rest as is). */
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
