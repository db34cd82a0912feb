import { Packr, Unpackr } from 'msgpackr';
import type { KeyValue } from './types.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

/** Packs a value with msgpack (bigints as int64); the result is a plain Uint8Array. */
export function pack(value: unknown): Uint8Array {
  const b = packr.pack(value);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Unpacks {@link pack}'s bytes; byte fields come back as plain Uint8Array views into a private copy. */
export function unpack(bytes: Uint8Array): unknown {
  const src = new Uint8Array(bytes.byteLength);
  src.set(bytes);
  return unpackr.unpack(src) as unknown;
}

/** Encodes a stored key-value record: `[key, createRevision, modRevision, version, lease, value]`. */
export function encodeKv(kv: KeyValue): Uint8Array {
  return pack([kv.key, kv.createRevision, kv.modRevision, kv.version, BigInt.asIntN(64, kv.lease), kv.value]);
}

/** Decodes {@link encodeKv}'s bytes. */
export function decodeKv(bytes: Uint8Array): KeyValue {
  const [key, createRevision, modRevision, version, lease, value] = unpack(bytes) as [Uint8Array, number, number, number, bigint | number, Uint8Array];
  return { key, createRevision, modRevision, version, lease: BigInt(lease), value };
}

/** A stored lease: `[ttl, remainingTtl]`. */
export function encodeLease(ttl: number, remainingTtl: number): Uint8Array {
  return pack([ttl, remainingTtl]);
}

/** Decodes {@link encodeLease}'s bytes. */
export function decodeLease(bytes: Uint8Array): { ttl: number; remainingTtl: number } {
  const [ttl, remainingTtl] = unpack(bytes) as [number, number];
  return { ttl, remainingTtl };
}

/** An id (a lease's, a member's) as an 8-byte big-endian key (two's complement for a negative id). */
export function idKey(id: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, id));
  return out;
}

/** Decodes {@link idKey} as an unsigned 64-bit id. */
export function idOfKey(key: Uint8Array): bigint {
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(0);
}

/** A lease id as an 8-byte big-endian key (two's complement, as etcd's int64). */
export function leaseKey(id: bigint): Uint8Array {
  return idKey(id);
}

/** Decodes {@link leaseKey}. */
export function leaseIdOf(key: Uint8Array): bigint {
  return BigInt.asIntN(64, idOfKey(key));
}

/** The concatenation of byte arrays, in one new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
