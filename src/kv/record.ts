import { Packr, Unpackr } from 'msgpackr';
import { BinaryReader, BinaryWriter } from '../codec/binary.js';
import { CodecError, toCodecError } from '../codec/errors.js';
import { BINARY_TAG } from './command-binary.js';
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

const kvWriter = new BinaryWriter();
/** The binary record's tag, revisions, version and lease, and the key's length. */
const KV_FIXED = 1 + 8 + 8 + 8 + 8 + 4;

/**
 * Encodes a stored key-value record:
 * `0xc1 ‖ createRevision u64 ‖ modRevision u64 ‖ version u64 ‖ lease i64 ‖ key length u32 ‖ key ‖ value`
 * (little-endian; the value is the rest of the record). Records written by earlier builds are
 * a msgpack array `[key, createRevision, modRevision, version, lease, value]`, which never
 * starts with 0xc1; {@link decodeKv} reads both. The result is a view of a shared buffer that
 * is never written again.
 */
export function encodeKv(kv: KeyValue): Uint8Array {
  const w = kvWriter;
  w.begin(KV_FIXED + kv.key.length + kv.value.length);
  w.u8(BINARY_TAG);
  w.u64(kv.createRevision);
  w.u64(kv.modRevision);
  w.u64(kv.version);
  w.i64(BigInt.asIntN(64, kv.lease));
  w.bytes(kv.key);
  w.raw(kv.value);
  return w.end();
}

/**
 * Decodes {@link encodeKv}'s bytes (and the msgpack records of earlier builds). The key and value
 * are views into one private copy of `bytes`.
 *
 * @throws `CodecError`, and nothing else, when the bytes are not a valid record.
 */
export function decodeKv(bytes: Uint8Array): KeyValue {
  try {
    return bytes[0] === BINARY_TAG ? decodeBinaryKv(bytes) : decodeMsgpackKv(bytes);
  } catch (err) {
    throw toCodecError(err, 'KV record');
  }
}

function decodeBinaryKv(bytes: Uint8Array): KeyValue {
  const r = new BinaryReader(bytes, 1, 'KV record');
  const createRevision = r.u64('KV record.createRevision');
  const modRevision = r.u64('KV record.modRevision');
  const version = r.u64('KV record.version');
  const lease = r.i64('KV record.lease');
  r.own();
  const key = r.bytes('KV record.key');
  return { key, createRevision, modRevision, version, lease, value: r.raw(r.left, 'KV record.value') };
}

function decodeMsgpackKv(bytes: Uint8Array): KeyValue {
  const f = unpack(bytes);
  if (!Array.isArray(f) || f.length !== 6) throw new CodecError('KV record: expected a msgpack array of 6');
  const [key, createRevision, modRevision, version, lease, value] = f as unknown[];
  if (!(key instanceof Uint8Array) || !(value instanceof Uint8Array)) throw new CodecError('KV record: key and value must be bytes');
  for (const n of [createRevision, modRevision, version]) {
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw new CodecError('KV record: revisions and version must be non-negative safe integers');
  }
  if (typeof lease !== 'bigint' && !Number.isSafeInteger(lease)) throw new CodecError('KV record: lease must be an integer');
  return { key, createRevision: createRevision as number, modRevision: modRevision as number, version: version as number, lease: BigInt(lease as bigint | number), value };
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

/** Decodes a lease's {@link idKey} as etcd's lease id: a signed 64-bit id (two's complement), where {@link idOfKey} reads it unsigned. */
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
