/**
 * The unary KV requests decoded by hand: `etcdserverpb.PutRequest`, `RangeRequest` and
 * `DeleteRangeRequest` and `TxnRequest`,
 * straight into raftkit/kv's {@link PutRequest}, {@link RangeRequest}, {@link DeleteRangeRequest} and {@link TxnRequest} (no protobufjs object
 * conversion, no decimal strings for 64-bit integers), the shapes `putIn`, `rangeIn`,
 * `deleteIn` and `txnIn` (convert.ts) make of protobufjs's decoding.
 *
 * ```
 * PutRequest    1 key bytes, 2 value bytes, 3 lease int64, 4 prev_kv bool, 5 ignore_value bool, 6 ignore_lease bool
 * RangeRequest  1 key bytes, 2 range_end bytes, 3 limit int64, 4 revision int64, 5 sort_order enum,
 *               6 sort_target enum, 7 serializable bool, 8 keys_only bool, 9 count_only bool,
 *               10 min_mod_revision, 11 max_mod_revision, 12 min_create_revision, 13 max_create_revision int64
 * DeleteRangeRequest  1 key bytes, 2 range_end bytes, 3 prev_kv bool
 * TxnRequest    1 compare repeated Compare, 2 success repeated RequestOp, 3 failure repeated RequestOp
 * Compare       1 result enum, 2 target enum, 3 key bytes, oneof target_union { 4 version int64,
 *               5 create_revision int64, 6 mod_revision int64, 7 value bytes, 8 lease int64 }, 64 range_end bytes
 * RequestOp     oneof request { 1 request_range, 2 request_put, 3 request_delete_range, 4 request_txn }
 * ```
 * Absent fields take their proto3 defaults; unknown fields are skipped; a repeated field keeps
 * its last value, and of a `oneof` the member last on the wire is kept (as etcd's decoder keeps
 * it). Scalars are read as etcd's (Go) decoder reads them: int64 as two's complement
 * (as a `number`: exact within 2^53), enums as int32, a bool as "not zero". A known field with
 * the wrong wire type, or bytes that are not a message, fail as etcd's decoder fails them.
 * @module
 */
import { ProtoError, Reader, readFields } from '../kv/etcd-backend/proto.js';
import type { Compare, CompareResult, CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, SortOrder, SortTarget, TxnRequest } from '../kv/types.js';

/** A PutRequest as decoded: every field present (key and value are views into the message). */
export interface DecodedPutRequest extends PutRequest {
  /** The key. */
  key: Uint8Array;
  /** The value. */
  value: Uint8Array;
  /** The lease id (int64). */
  lease: bigint;
  /** Return the previous key-value. */
  prevKv: boolean;
  /** Keep the current value. */
  ignoreValue: boolean;
  /** Keep the current lease. */
  ignoreLease: boolean;
}

/** A RangeRequest as decoded: every field present (key and range end are views into the message). */
export type DecodedRangeRequest = Required<RangeRequest> & {
  /** The first key. */
  key: Uint8Array;
  /** The end of the range (empty: only `key`). */
  rangeEnd: Uint8Array;
};

/** A DeleteRangeRequest as decoded: every field present (key and range end are views into the message). */
export type DecodedDeleteRangeRequest = Required<DeleteRangeRequest> & {
  /** The first key. */
  key: Uint8Array;
  /** The end of the range (empty: only `key`). */
  rangeEnd: Uint8Array;
};

const EMPTY = Buffer.alloc(0);

/**
 * Refuses a known field sent with another wire type than its own (`want`).
 * @internal
 */
export function checkWire(what: string, field: number, wire: number, want: number): void {
  if (wire !== want) throw new ProtoError(`${what}: field ${String(field)} has wire type ${String(wire)}, not ${String(want)}`);
}

/**
 * A varint as a two's complement `bits`-bit integer (int64 fields; enums are int32), as a number.
 * @internal
 */
export function readSigned(r: Reader, bits: 32 | 64): number {
  const b = r.buf[r.pos];
  if (b !== undefined && b < 0x80) {
    r.pos++;
    return b;
  }
  return Number(BigInt.asIntN(bits, r.varintBig()));
}

/**
 * A field of a number the message does not know, as etcd's decoder takes it: field 0 (or below) is
 * refused; a group (wire type 3) is skipped up to its end-group tag, nested groups included; any
 * other wire type is left to `readFields` to skip (false).
 */
function unknownField(what: string, r: Reader, field: number, wire: number): boolean {
  if (field < 1) throw new ProtoError(`${what}: illegal tag ${String(field)}`);
  if (wire !== 3) return false;
  for (;;) {
    const tag = r.varint('tag');
    const inner = tag & 7;
    if (inner === 4) return true;
    if (inner === 3) unknownField(what, r, 1, 3);
    else r.skip(Math.floor(tag / 8), inner);
  }
}

/**
 * A varint as a bool: not zero.
 * @internal
 */
export const readBool = (r: Reader): boolean => readSigned(r, 64) !== 0;

/**
 * Decodes a PutRequest.
 *
 * @throws `ProtoError` (`ERR_PROTO_DECODE`) on malformed bytes.
 */
export function decodePutRequest(buf: Uint8Array): DecodedPutRequest {
  const what = 'etcdserverpb.PutRequest';
  const r = new Reader(buf, what);
  const out: DecodedPutRequest = { key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
  readFields(r, (field, wire) => {
    if (field < 1 || field > 6) return unknownField(what, r, field, wire);
    checkWire(what, field, wire, field <= 2 ? 2 : 0);
    if (field === 1) out.key = r.bytes(field);
    else if (field === 2) out.value = r.bytes(field);
    else if (field === 3) out.lease = BigInt.asIntN(64, r.varintBig());
    else if (field === 4) out.prevKv = readBool(r);
    else if (field === 5) out.ignoreValue = readBool(r);
    else out.ignoreLease = readBool(r);
    return true;
  });
  return out;
}

/**
 * Decodes a RangeRequest (every field present; key and range end are views into the message).
 *
 * @throws `ProtoError` (`ERR_PROTO_DECODE`) on malformed bytes.
 */
export function decodeRangeRequest(buf: Uint8Array): DecodedRangeRequest {
  const what = 'etcdserverpb.RangeRequest';
  const r = new Reader(buf, what);
  const out: DecodedRangeRequest = {
    key: EMPTY, rangeEnd: EMPTY, limit: 0, revision: 0, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false, countOnly: false,
    minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
  };
  readFields(r, (field, wire) => {
    if (field < 1 || field > 13) return unknownField(what, r, field, wire);
    checkWire(what, field, wire, field <= 2 ? 2 : 0);
    switch (field) {
      case 1: out.key = r.bytes(field); break;
      case 2: out.rangeEnd = r.bytes(field); break;
      case 3: out.limit = readSigned(r, 64); break;
      case 4: out.revision = readSigned(r, 64); break;
      case 5: out.sortOrder = readSigned(r, 32) as SortOrder; break;
      case 6: out.sortTarget = readSigned(r, 32) as SortTarget; break;
      case 7: out.serializable = readBool(r); break;
      case 8: out.keysOnly = readBool(r); break;
      case 9: out.countOnly = readBool(r); break;
      case 10: out.minModRevision = readSigned(r, 64); break;
      case 11: out.maxModRevision = readSigned(r, 64); break;
      case 12: out.minCreateRevision = readSigned(r, 64); break;
      default: out.maxCreateRevision = readSigned(r, 64); break;
    }
    return true;
  });
  return out;
}

/**
 * Decodes a DeleteRangeRequest.
 *
 * @throws `ProtoError` (`ERR_PROTO_DECODE`) on malformed bytes.
 */
export function decodeDeleteRangeRequest(buf: Uint8Array): DecodedDeleteRangeRequest {
  const what = 'etcdserverpb.DeleteRangeRequest';
  const r = new Reader(buf, what);
  const out: DecodedDeleteRangeRequest = { key: EMPTY, rangeEnd: EMPTY, prevKv: false };
  readFields(r, (field, wire) => {
    if (field < 1 || field > 3) return unknownField(what, r, field, wire);
    checkWire(what, field, wire, field <= 2 ? 2 : 0);
    if (field === 1) out.key = r.bytes(field);
    else if (field === 2) out.rangeEnd = r.bytes(field);
    else out.prevKv = readBool(r);
    return true;
  });
  return out;
}

/** A TxnRequest as decoded: every list present. */
export interface DecodedTxnRequest extends TxnRequest {
  /** The conditions. */
  compare: Compare[];
  /** The operations run when every condition holds. */
  success: RequestOp[];
  /** The operations run otherwise. */
  failure: RequestOp[];
}

/**
 * How deep messages may nest in a request (the top one is at depth 0): protobufjs's bound (protoc's
 * default recursion limit), which raftkit's server applied before decoding txns by hand. A txn
 * takes two levels per nested txn (RequestOp, TxnRequest), so about 50 nested txns fit.
 */
export const MAX_MESSAGE_DEPTH = 100;

function checkDepth(what: string, depth: number): void {
  if (depth > MAX_MESSAGE_DEPTH) throw new ProtoError(`${what}: nested deeper than ${String(MAX_MESSAGE_DEPTH)} messages`);
}

/**
 * Decodes a TxnRequest (nested txns included; keys and values are views into the message). A
 * RequestOp with no operation in it is an empty range, as `txnIn` makes it. `depth` is the
 * message's nesting depth (0 at the top; see {@link MAX_MESSAGE_DEPTH}).
 *
 * @throws `ProtoError` (`ERR_PROTO_DECODE`) on malformed bytes or nesting past {@link MAX_MESSAGE_DEPTH}.
 */
export function decodeTxnRequest(buf: Uint8Array, depth = 0): DecodedTxnRequest {
  const what = 'etcdserverpb.TxnRequest';
  checkDepth(what, depth);
  const r = new Reader(buf, what);
  const out: DecodedTxnRequest = { compare: [], success: [], failure: [] };
  readFields(r, (field, wire) => {
    if (field < 1 || field > 3) return unknownField(what, r, field, wire);
    checkWire(what, field, wire, 2);
    const body = r.bytes(field);
    if (field === 1) out.compare.push(decodeCompare(body, depth + 1));
    else (field === 2 ? out.success : out.failure).push(decodeRequestOp(body, depth + 1));
    return true;
  });
  return out;
}

/** Decodes a Compare: the target_union member last on the wire is set, the others left out. */
function decodeCompare(buf: Uint8Array, depth: number): Compare {
  const what = 'etcdserverpb.Compare';
  checkDepth(what, depth);
  const r = new Reader(buf, what);
  const out: Compare = { result: 0, target: 0, key: EMPTY, rangeEnd: EMPTY };
  let member = 0;
  let number = 0;
  let value: Uint8Array = EMPTY;
  let lease = 0n;
  readFields(r, (field, wire) => {
    if ((field < 1 || field > 8) && field !== 64) return unknownField(what, r, field, wire);
    checkWire(what, field, wire, field === 3 || field === 7 || field === 64 ? 2 : 0);
    switch (field) {
      case 1: out.result = readSigned(r, 32) as CompareResult; break;
      case 2: out.target = readSigned(r, 32) as CompareTarget; break;
      case 3: out.key = r.bytes(field); break;
      case 7: value = r.bytes(field); member = field; break;
      case 8: lease = BigInt.asIntN(64, r.varintBig()); member = field; break;
      case 64: out.rangeEnd = r.bytes(field); break;
      default: number = readSigned(r, 64); member = field; break;
    }
    return true;
  });
  if (member === 4) out.version = number;
  else if (member === 5) out.createRevision = number;
  else if (member === 6) out.modRevision = number;
  else if (member === 7) out.value = value;
  else if (member === 8) out.lease = lease;
  return out;
}

/** Decodes a RequestOp: the operation last on the wire (none: an empty range, as `txnIn` makes it). */
function decodeRequestOp(buf: Uint8Array, depth: number): RequestOp {
  const what = 'etcdserverpb.RequestOp';
  checkDepth(what, depth);
  const r = new Reader(buf, what);
  let member = 0;
  let body: Uint8Array = EMPTY;
  readFields(r, (field, wire) => {
    if (field < 1 || field > 4) return unknownField(what, r, field, wire);
    checkWire(what, field, wire, 2);
    body = r.bytes(field);
    member = field;
    return true;
  });
  if (member === 0) return { requestRange: decodeRangeRequest(EMPTY) };
  if (member !== 4) checkDepth(what, depth + 1);
  if (member === 2) return { requestPut: decodePutRequest(body) };
  if (member === 3) return { requestDeleteRange: decodeDeleteRangeRequest(body) };
  if (member === 4) return { requestTxn: decodeTxnRequest(body, depth + 1) };
  return { requestRange: decodeRangeRequest(body) };
}
