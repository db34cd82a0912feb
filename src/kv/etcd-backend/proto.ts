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

/**
 * A protobuf writer into one growing buffer: varints (numbers or 64-bit bigints, two's
 * complement for negatives), and length-delimited fields; zero-valued fields are skipped.
 * @internal
 */
export class Writer {
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
  /** Bytes already encoded (whole fields), copied as they are. */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  lengthDelimited(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /**
   * An embedded message field written by `body` in place (always written, even when empty): one
   * byte is reserved for its length, and the body is moved when the length needs more.
   */
  message(field: number, body: (w: Writer) => void): void {
    this.varint((field << 3) | 2);
    this.ensure(1);
    const at = this.pos++;
    body(this);
    const len = this.pos - at - 1;
    let size = 1;
    for (let x = len; x >= 0x80; x = Math.floor(x / 128)) size++;
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(at + size, at + 1, this.pos);
      this.pos += size - 1;
    }
    let x = len;
    for (let i = at; i < at + size - 1; i++) {
      this.buf[i] = (x & 0x7f) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[at + size - 1] = x;
  }
  /** A `bool` field (written only when true). */
  bool(field: number, v: boolean): void {
    if (!v) return;
    this.varint(field << 3);
    this.varint(1);
  }
  /** The bytes written, copied out. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
  /** The bytes written, as a Buffer over this writer's memory (no copy; the writer is done). */
  finishBuffer(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

/**
 * A cursor over one protobuf message's bytes: varints (numbers while they fit 53 bits),
 * length-delimited fields (as views), skipping unknown fields.
 * @internal
 */
export class Reader {
  /** The read position. */
  pos = 0;
  /** The message's bytes. */
  readonly buf: Uint8Array;
  private readonly what: string;
  /**
   * @param buf - the message's bytes.
   * @param what - the message's name, for errors.
   */
  constructor(buf: Uint8Array, what: string) {
    this.buf = buf;
    this.what = what;
  }
  /** Whether every byte was read. */
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  /** Reads a varint as a uint64 bigint (for ids, which use all 64 bits). */
  varintBig(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtoError(`${this.what}: truncated varint`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtoError(`${this.what}: varint longer than 10 bytes`);
  }
  /** Reads a varint that must be a safe non-negative integer (`name` is for the error). */
  varint(name: string): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.buf.length) throw new ProtoError(`${this.what}: truncated varint`);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    this.pos = start;
    const big = BigInt.asIntN(64, this.varintBig());
    if (big < 0n || big > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtoError(`${this.what}: ${name} ${String(big)} is not a safe non-negative integer`);
    return Number(big);
  }
  /** Reads a length-delimited field's bytes (a view). */
  bytes(field: number): Uint8Array {
    const len = this.varint('length');
    if (this.pos + len > this.buf.length) throw new ProtoError(`${this.what}: field ${String(field)} runs past the end`);
    this.pos += len;
    return this.buf.subarray(this.pos - len, this.pos);
  }
  /** Skips a field of an unknown number. */
  skip(field: number, wire: number): void {
    if (wire === 0) this.varintBig();
    else if (wire === 2) this.bytes(field);
    else if (wire === 1 || wire === 5) this.pos += wire === 1 ? 8 : 4;
    else throw new ProtoError(`${this.what}: unsupported wire type ${String(wire)}`);
    if (this.pos > this.buf.length) throw new ProtoError(`${this.what}: truncated field ${String(field)}`);
  }
}

/**
 * Reads fields until the end: `on(field, wire)` consumes the ones it knows and returns false for the rest.
 * @internal
 */
export function readFields(r: Reader, on: (field: number, wire: number) => boolean): void {
  while (!r.done) {
    const tag = r.varint('tag');
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (!on(field, wire)) r.skip(field, wire);
  }
}

/**
 * Writes an mvccpb.KeyValue's fields into `w`.
 * @internal
 */
export function writeKeyValue(w: Writer, kv: StoredKeyValue): void {
  w.lengthDelimited(1, kv.key);
  w.int(2, kv.createRevision);
  w.int(3, kv.modRevision);
  w.int(4, kv.version);
  w.lengthDelimited(5, kv.value);
  w.int(6, kv.lease);
}

/** Encodes an mvccpb.KeyValue. */
export function encodeKeyValue(kv: StoredKeyValue): Uint8Array {
  const w = new Writer(kv.key.length + kv.value.length + 48);
  writeKeyValue(w, kv);
  return w.finish();
}

/** Decodes an mvccpb.KeyValue (key and value are views into `buf`). */
export function decodeKeyValue(buf: Uint8Array): StoredKeyValue {
  const r = new Reader(buf, 'mvccpb.KeyValue');
  const empty: Uint8Array = new Uint8Array(0);
  const kv = { key: empty, createRevision: 0, modRevision: 0, version: 0, value: empty, lease: 0n };
  readFields(r, (field, wire) => {
    if (wire === 2 && (field === 1 || field === 5)) {
      if (field === 1) kv.key = r.bytes(field);
      else kv.value = r.bytes(field);
    } else if (wire === 0 && field >= 2 && field <= 4) {
      const v = r.varint(field === 2 ? 'create_revision' : field === 3 ? 'mod_revision' : 'version');
      if (field === 2) kv.createRevision = v;
      else if (field === 3) kv.modRevision = v;
      else kv.version = v;
    } else if (wire === 0 && field === 6) kv.lease = BigInt.asIntN(64, r.varintBig());
    else return false;
    return true;
  });
  return kv;
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
  const r = new Reader(buf, 'leasepb.Lease');
  const l = { id: 0n, ttl: 0, remainingTtl: 0 };
  readFields(r, (field, wire) => {
    if (wire !== 0) return false;
    if (field === 1) l.id = BigInt.asIntN(64, r.varintBig());
    else if (field === 2) l.ttl = r.varint('TTL');
    else if (field === 3) l.remainingTtl = r.varint('RemainingTTL');
    else return false;
    return true;
  });
  return l;
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
  const r = new Reader(buf, 'etcdserverpb.AlarmMember');
  const a = { memberId: 0n, alarm: 0 };
  readFields(r, (field, wire) => {
    if (wire !== 0) return false;
    if (field === 1) a.memberId = r.varintBig();
    else if (field === 2) a.alarm = r.varint('alarm');
    else return false;
    return true;
  });
  return a;
}
