/**
 * The hottest request decoded by hand: `etcdserverpb.PutRequest`, straight into the shape the
 * Put handler reads (no protobufjs object conversion, no decimal string for the lease).
 *
 * ```
 * PutRequest   1 key bytes, 2 value bytes, 3 lease int64, 4 prev_kv bool, 5 ignore_value bool, 6 ignore_lease bool
 * ```
 * Absent fields take their proto3 defaults; unknown fields are skipped; a known field with the
 * wrong wire type, or bytes that are not a message, fail as etcd's decoder fails them.
 * @module
 */
import { ProtoError, Reader, readFields } from '../kv/etcd-backend/proto.js';

/** A PutRequest as decoded: the fields `putIn` reads (key and value are views into the message). */
export interface PutRequestWire {
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
  /** An index signature, so the result is a `Wire`. */
  [field: string]: unknown;
}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes a PutRequest.
 *
 * @throws `ProtoError` (`ERR_PROTO_DECODE`) on malformed bytes.
 */
export function decodePutRequest(buf: Uint8Array): PutRequestWire {
  const r = new Reader(buf, 'etcdserverpb.PutRequest');
  const out: PutRequestWire = { key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
  readFields(r, (field, wire) => {
    if (field < 1 || field > 6) return false;
    const want = field <= 2 ? 2 : 0;
    if (wire !== want) throw new ProtoError(`etcdserverpb.PutRequest: field ${String(field)} has wire type ${String(wire)}, not ${String(want)}`);
    if (field === 1) out.key = r.bytes(field);
    else if (field === 2) out.value = r.bytes(field);
    else if (field === 3) out.lease = BigInt.asIntN(64, r.varintBig());
    else {
      const on = r.varintBig() !== 0n;
      if (field === 4) out.prevKv = on;
      else if (field === 5) out.ignoreValue = on;
      else out.ignoreLease = on;
    }
    return true;
  });
  return out;
}
