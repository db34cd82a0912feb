/**
 * The unary KV responses encoded by hand, straight from raftkit/kv's shapes (no conversion to
 * decimal strings and back through protobufjs): `etcdserverpb.RangeResponse`, `PutResponse`,
 * `DeleteRangeResponse` and `TxnResponse` (watch-codec.ts encodes the `WatchResponse`s that carry
 * events).
 *
 * ```
 * RangeResponse   1 header ResponseHeader, 2 kvs repeated mvccpb.KeyValue, 3 more bool, 4 count int64
 * PutResponse     1 header ResponseHeader, 2 prev_kv mvccpb.KeyValue
 * DeleteRangeResponse  1 header ResponseHeader, 2 deleted int64, 3 prev_kvs repeated mvccpb.KeyValue
 * TxnResponse     1 header ResponseHeader, 2 succeeded bool, 3 responses repeated ResponseOp
 * ResponseOp      oneof response { 1 response_range, 2 response_put, 3 response_delete_range, 4 response_txn }
 * ResponseHeader  1 cluster_id uint64, 2 member_id uint64, 3 revision int64, 4 raft_term uint64
 * ```
 * Zero-valued scalars are left out (proto3, as etcd's Go encoder leaves them; protobufjs wrote the
 * ones present); headers are always written.
 * @module
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { Writer, writeKeyValue } from '../kv/etcd-backend/proto.js';
import type { DeleteRangeResponse, KeyValue, PutResponse, RangeResponse, ResponseHeader, ResponseOp, TxnResponse } from '../kv/types.js';
import { Out, headerSize, keyValueSize, lenField, numField } from './proto-out.js';
import { decodeDeleteRangeRequest, decodePutRequest, decodeRangeRequest, decodeTxnRequest } from './request-codec.js';
import { MalformedRequest, unmarshalError } from './unmarshal-error.js';

/** The header's cluster and member id fields (bigint varints), encoded once per pair: a server's never change. */
let ids: { clusterId: bigint; memberId: bigint; fields: Uint8Array } | undefined;

const NO_IDS = new Uint8Array(0);

function idFields(h: ResponseHeader): Uint8Array {
  // A txn's nested responses carry zero ids (etcd leaves their headers zero): not cached.
  if (h.clusterId === 0n && h.memberId === 0n) return NO_IDS;
  if (ids?.clusterId !== h.clusterId || ids.memberId !== h.memberId) {
    const w = new Writer(24);
    w.int(1, h.clusterId);
    w.int(2, h.memberId);
    ids = { clusterId: h.clusterId, memberId: h.memberId, fields: w.finish() };
  }
  return ids.fields;
}

function writeHeader(w: Writer, h: ResponseHeader): void {
  const fields = idFields(h);
  w.message(1, (m) => {
    m.raw(fields);
    m.int(3, h.revision);
    m.int(4, h.raftTerm);
  });
}

const kvBytes = (kv: KeyValue | undefined): number => (kv === undefined ? 0 : kv.key.length + kv.value.length + 48);

const kvsBytes = (kvs: readonly KeyValue[]): number => {
  let size = 0;
  for (const kv of kvs) size += kvBytes(kv);
  return size;
};

function writeRange(w: Writer, r: RangeResponse): void {
  writeHeader(w, r.header);
  for (const kv of r.kvs) w.message(2, (m) => writeKeyValue(m, kv));
  w.bool(3, r.more);
  w.int(4, r.count);
}

function writePut(w: Writer, r: PutResponse): void {
  writeHeader(w, r.header);
  const prev = r.prevKv;
  if (prev !== undefined) w.message(2, (m) => writeKeyValue(m, prev));
}

function writeDeleteRange(w: Writer, r: DeleteRangeResponse): void {
  writeHeader(w, r.header);
  w.int(2, r.deleted);
  for (const kv of r.prevKvs) w.message(3, (m) => writeKeyValue(m, kv));
}

function writeTxn(w: Writer, r: TxnResponse): void {
  writeHeader(w, r.header);
  w.bool(2, r.succeeded);
  for (const op of r.responses) w.message(3, (m) => writeResponseOp(m, op));
}

function writeResponseOp(w: Writer, op: ResponseOp): void {
  if ('responseRange' in op) w.message(1, (m) => writeRange(m, op.responseRange));
  else if ('responsePut' in op) w.message(2, (m) => writePut(m, op.responsePut));
  else if ('responseDeleteRange' in op) w.message(3, (m) => writeDeleteRange(m, op.responseDeleteRange));
  else w.message(4, (m) => writeTxn(m, op.responseTxn));
}

/** An upper bound of a txn response's size, for the writer's first buffer. */
function txnBytes(r: TxnResponse): number {
  let size = 64;
  for (const op of r.responses) {
    if ('responseRange' in op) size += 64 + kvsBytes(op.responseRange.kvs);
    else if ('responsePut' in op) size += 64 + kvBytes(op.responsePut.prevKv);
    else if ('responseDeleteRange' in op) size += 64 + kvsBytes(op.responseDeleteRange.prevKvs);
    else size += 16 + txnBytes(op.responseTxn);
  }
  return size;
}

/**
 * Encodes a Range response for the wire, in two passes (proto-out.ts: exact size, then one pooled
 * Buffer): a serializable read's member spends most of its own work per call on it and the read.
 */
export function encodeRangeResponse(r: RangeResponse): Buffer {
  const hSize = headerSize(r.header);
  let size = lenField(hSize) + (r.more ? 2 : 0) + numField(r.count);
  const kvs = r.kvs;
  // One kv (a point read) needs no array of sizes.
  const one = kvs.length === 1 ? keyValueSize(kvs[0]!) : 0;
  const sizes = kvs.length > 1 ? kvs.map(keyValueSize) : undefined;
  if (sizes === undefined) size += kvs.length === 1 ? lenField(one) : 0;
  else for (const s of sizes) size += lenField(s);
  const o = new Out(size);
  o.header(1, r.header, hSize);
  if (sizes === undefined) {
    if (kvs.length === 1) o.keyValue(2, kvs[0]!, one);
  } else {
    for (let i = 0; i < kvs.length; i++) o.keyValue(2, kvs[i]!, sizes[i]!);
  }
  if (r.more) o.bool(3);
  o.numField(4, r.count);
  return o.buf;
}

/** Encodes a Put response for the wire, in two passes (proto-out.ts), as {@link encodeRangeResponse}. */
export function encodePutResponse(r: PutResponse): Buffer {
  const hSize = headerSize(r.header);
  const prev = r.prevKv;
  const prevSize = prev === undefined ? 0 : keyValueSize(prev);
  const o = new Out(lenField(hSize) + (prev === undefined ? 0 : lenField(prevSize)));
  o.header(1, r.header, hSize);
  if (prev !== undefined) o.keyValue(2, prev, prevSize);
  return o.buf;
}

/** Encodes a DeleteRange response for the wire. */
export function encodeDeleteRangeResponse(r: DeleteRangeResponse): Buffer {
  const w = new Writer(64 + kvsBytes(r.prevKvs));
  writeDeleteRange(w, r);
  return w.finishBuffer();
}

/** Encodes a Txn response for the wire (nested txns' responses included). */
export function encodeTxnResponse(r: TxnResponse): Buffer {
  const w = new Writer(txnBytes(r));
  writeTxn(w, r);
  return w.finishBuffer();
}

/**
 * `decode` as a request deserializer: bytes it refuses become a {@link MalformedRequest} carrying
 * the error etcd answers for them (grpc-js would answer its own text).
 */
function requestDecoder(method: string, decode: (b: Buffer) => object): (b: Buffer) => object {
  return (b) => {
    try {
      return decode(b);
    } catch (e) {
      return new MalformedRequest(unmarshalError(method, b, e));
    }
  };
}

/**
 * The service definitions with the hand-written codecs: KV's Range, Put, DeleteRange and Txn
 * handlers return raftkit/kv's {@link RangeResponse}, {@link PutResponse},
 * {@link DeleteRangeResponse} and {@link TxnResponse} as they are, their requests are decoded by
 * request-codec.ts (bytes that do not decode reach the handler as a `MalformedRequest`, answered
 * with etcd's error), and the Watch stream may write a Buffer from watch-codec.ts's `encodeWatchResponse`
 * (sent as it is) next to plain response objects (encoded by protobufjs).
 * @internal
 */
export function withResponseCodecs<T extends { KV: ServiceDefinition; Watch: ServiceDefinition }>(defs: T): T {
  const range = defs.KV['Range'];
  const put = defs.KV['Put'];
  const del = defs.KV['DeleteRange'];
  const txn = defs.KV['Txn'];
  const watch = defs.Watch['Watch'];
  if (range === undefined || put === undefined || del === undefined || txn === undefined || watch === undefined) return defs;
  const encodeWatch = watch.responseSerialize;
  return {
    ...defs,
    KV: {
      ...defs.KV,
      Range: { ...range, requestDeserialize: requestDecoder('Range', decodeRangeRequest), responseSerialize: (value: unknown) => encodeRangeResponse(value as RangeResponse) },
      Put: { ...put, requestDeserialize: requestDecoder('Put', decodePutRequest), responseSerialize: (value: unknown) => encodePutResponse(value as PutResponse) },
      DeleteRange: {
        ...del, requestDeserialize: requestDecoder('DeleteRange', decodeDeleteRangeRequest), responseSerialize: (value: unknown) => encodeDeleteRangeResponse(value as DeleteRangeResponse),
      },
      Txn: { ...txn, requestDeserialize: requestDecoder('Txn', decodeTxnRequest), responseSerialize: (value: unknown) => encodeTxnResponse(value as TxnResponse) },
    },
    Watch: { ...defs.Watch, Watch: { ...watch, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encodeWatch(value)) } },
  };
}
