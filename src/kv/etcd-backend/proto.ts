/**
 * The few protobuf messages etcd stores in its backend, encoded and decoded by hand (proto3 wire
 * format: a varint tag `field << 3 | wireType`, varints for integers, length-delimited bytes;
 * zero-valued fields are omitted, fields are written in field-number order, as gogoproto does).
 *
 * ```
 * mvccpb.KeyValue   1 key bytes, 2 create_revision int64, 3 mod_revision int64, 4 version int64,
 *                   5 value bytes, 6 lease int64
 * leasepb.Lease     1 ID int64, 2 TTL int64, 3 RemainingTTL int64
 * etcdserverpb.AlarmMember   1 memberID uint64, 2 alarm AlarmType (0 NONE, 1 NOSPACE, 2 CORRUPT)
 * ```
 * Unknown fields are skipped, as protobuf requires; malformed input throws {@link ProtoError}.
 * @module
 */
import { RaftkitError } from '../../errors.js';

/** Malformed protobuf bytes in a backend value. Code `ERR_PROTO_DECODE`. */
export class ProtoError extends RaftkitError {
  /**
   * @param message - what is malformed.
   */
  constructor(message: string) {
    super('ERR_PROTO_DECODE', message);
  }
}

/** mvccpb.KeyValue as stored in the `key` bucket. */
export interface StoredKeyValue {
  /** The key. */
  readonly key: Uint8Array;
  /** Revision of the key's creation (its first put since it last did not exist). */
  readonly createRevision: number;
  /** Revision of this modification. */
  readonly modRevision: number;
  /** Number of puts since creation (0 for a tombstone). */
  readonly version: number;
  /** The value. */
  readonly value: Uint8Array;
  /** Lease id attached, 0n for none. */
  readonly lease: bigint;
}

/** leasepb.Lease as stored in the `lease` bucket. */
export interface StoredLease {
  /** Lease id. */
  readonly id: bigint;
  /** Granted TTL in seconds. */
  readonly ttl: number;
  /** Checkpointed remaining TTL in seconds (0 = not checkpointed). */
  readonly remainingTtl: number;
}

/** etcdserverpb.AlarmMember, the key of an `alarm` bucket entry. */
export interface StoredAlarm {
  /** Member that raised the alarm. */
  readonly memberId: bigint;
  /** Alarm type: 1 NOSPACE, 2 CORRUPT. */
  readonly alarm: number;
}

class Writer {
  private buf: Uint8Array;
  private pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  varint(v: bigint | number): void {
    this.ensure(10);
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      let x = v;
      while (x >= 0x80) {
        this.buf[this.pos++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      this.buf[this.pos++] = x;
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  int(field: number, v: bigint | number): void {
    if (v === 0 || v === 0n) return;
    this.varint(field << 3);
    this.varint(v);
  }
  lengthDelimited(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

type Field = { field: number; int: bigint } | { field: number; bytes: Uint8Array };

function* fields(buf: Uint8Array, what: string): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= buf.length) throw new ProtoError(`${what}: truncated varint`);
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtoError(`${what}: varint longer than 10 bytes`);
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) yield { field, int: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new ProtoError(`${what}: field ${String(field)} runs past the end`);
      yield { field, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new ProtoError(`${what}: unsupported wire type ${String(wire)}`);
    if (pos > buf.length) throw new ProtoError(`${what}: truncated field ${String(field)}`);
  }
}

function toSafe(v: bigint, what: string): number {
  const s = BigInt.asIntN(64, v);
  if (s < 0n || s > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtoError(`${what} ${String(s)} is not a safe non-negative integer`);
  return Number(s);
}

/** Encodes an mvccpb.KeyValue. */
export function encodeKeyValue(kv: StoredKeyValue): Uint8Array {
  const w = new Writer(kv.key.length + kv.value.length + 48);
  w.lengthDelimited(1, kv.key);
  w.int(2, kv.createRevision);
  w.int(3, kv.modRevision);
  w.int(4, kv.version);
  w.lengthDelimited(5, kv.value);
  w.int(6, kv.lease);
  return w.finish();
}

/** Decodes an mvccpb.KeyValue. */
export function decodeKeyValue(buf: Uint8Array): StoredKeyValue {
  let key = new Uint8Array(0);
  let value = new Uint8Array(0);
  let createRevision = 0;
  let modRevision = 0;
  let version = 0;
  let lease = 0n;
  for (const f of fields(buf, 'mvccpb.KeyValue')) {
    if ('bytes' in f) {
      if (f.field === 1) key = f.bytes.slice();
      else if (f.field === 5) value = f.bytes.slice();
    } else if (f.field === 2) createRevision = toSafe(f.int, 'create_revision');
    else if (f.field === 3) modRevision = toSafe(f.int, 'mod_revision');
    else if (f.field === 4) version = toSafe(f.int, 'version');
    else if (f.field === 6) lease = BigInt.asIntN(64, f.int);
  }
  return { key, createRevision, modRevision, version, value, lease };
}

/** Encodes a leasepb.Lease. */
export function encodeLease(l: StoredLease): Uint8Array {
  const w = new Writer(32);
  w.int(1, l.id);
  w.int(2, l.ttl);
  w.int(3, l.remainingTtl);
  return w.finish();
}

/** Decodes a leasepb.Lease. */
export function decodeLease(buf: Uint8Array): StoredLease {
  let id = 0n;
  let ttl = 0;
  let remainingTtl = 0;
  for (const f of fields(buf, 'leasepb.Lease')) {
    if ('bytes' in f) continue;
    if (f.field === 1) id = BigInt.asIntN(64, f.int);
    else if (f.field === 2) ttl = toSafe(f.int, 'TTL');
    else if (f.field === 3) remainingTtl = toSafe(f.int, 'RemainingTTL');
  }
  return { id, ttl, remainingTtl };
}

/** Encodes an etcdserverpb.AlarmMember. */
export function encodeAlarm(a: StoredAlarm): Uint8Array {
  const w = new Writer(32);
  w.int(1, a.memberId);
  w.int(2, a.alarm);
  return w.finish();
}

/** Decodes an etcdserverpb.AlarmMember. */
export function decodeAlarm(buf: Uint8Array): StoredAlarm {
  let memberId = 0n;
  let alarm = 0;
  for (const f of fields(buf, 'etcdserverpb.AlarmMember')) {
    if ('bytes' in f) continue;
    if (f.field === 1) memberId = f.int;
    else if (f.field === 2) alarm = Number(f.int);
  }
  return { memberId, alarm };
}
