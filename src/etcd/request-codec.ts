/**
 * The hottest requests decoded by hand: `etcdserverpb.PutRequest` and `etcdserverpb.RangeRequest`,
 * straight into raftkit/kv's {@link PutRequest} and {@link RangeRequest} (no protobufjs object
 * conversion, no decimal strings for 64-bit integers), the shapes `putIn` and `rangeIn`
 * (convert.ts) make of protobufjs's decoding.
 *
 * ```
 * PutRequest    1 key bytes, 2 value bytes, 3 lease int64, 4 prev_kv bool, 5 ignore_value bool, 6 ignore_lease bool
 * RangeRequest  1 key bytes, 2 range_end bytes, 3 limit int64, 4 revision int64, 5 sort_order enum,
 *               6 sort_target enum, 7 serializable bool, 8 keys_only bool, 9 count_only bool,
 *               10 min_mod_revision, 11 max_mod_revision, 12 min_create_revision, 13 max_create_revision int64
 * ```
 * Absent fields take their proto3 defaults; unknown fields are skipped; a repeated field keeps
 * its last value. Scalars are read as etcd's (Go) decoder reads them: int64 as two's complement
 * (as a `number`: exact within 2^53), enums as int32, a bool as "not zero". A known field with
 * the wrong wire type, or bytes that are not a message, fail as etcd's decoder fails them.
 * @module
 */
import { ProtoError, Reader, readFields } from '../kv/etcd-backend/proto.js';
import type { PutRequest, RangeRequest, SortOrder, SortTarget } from '../kv/types.js';

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

const EMPTY = Buffer.alloc(0);

/** Refuses a known field sent with another wire type than its own (`want`). */
function checkWire(what: string, field: number, wire: number, want: number): void {
  if (wire !== want) throw new ProtoError(`${what}: field ${String(field)} has wire type ${String(wire)}, not ${String(want)}`);
}

/** A varint as a two's complement `bits`-bit integer (int64 fields; enums are int32), as a number. */
function readSigned(r: Reader, bits: 32 | 64): number {
  const b = r.buf[r.pos];
  if (b !== undefined && b < 0x80) {
    r.pos++;
    return b;
  }
  return Number(BigInt.asIntN(bits, r.varintBig()));
}

/** A varint as a bool: not zero. */
const readBool = (r: Reader): boolean => readSigned(r, 64) !== 0;

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
    if (field < 1 || field > 6) return false;
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
    if (field < 1 || field > 13) return false;
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
