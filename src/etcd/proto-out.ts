/**
 * Protobuf encoding in two passes, for the responses a member sends most (WatchResponses with
 * events, Range and Put responses): the exact size first, then the bytes straight into one
 * `Buffer.allocUnsafe` of that size (from Node's pool for small ones), with no growing, no moving
 * of nested messages, no closure per field and no off-heap array per response (what a growable
 * writer starts with, and what showed up as allocation and garbage-collection work per call).
 *
 * ```
 * ResponseHeader  1 cluster_id uint64, 2 member_id uint64, 3 revision int64, 4 raft_term uint64
 * mvccpb.KeyValue 1 key bytes, 2 create_revision, 3 mod_revision, 4 version, 5 value bytes, 6 lease (int64s)
 * ```
 * Zero-valued scalars and empty bytes are left out (proto3, as etcd's Go encoder leaves them).
 * Integers are written as int64 varints (a negative one in ten bytes). Tags are one byte (fields < 16).
 * @module
 */
import type { KeyValue, ResponseHeader } from '../kv/types.js';

/** The bytes of a varint of `v` (an integer). */
export function numSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** The bytes of a varint of `v` (int64 / uint64 range). */
function bigSize(v: bigint): number {
  let x = BigInt.asUintN(64, v);
  let n = 1;
  while (x >= 0x80n) {
    x >>= 7n;
    n++;
  }
  return n;
}

/** A number field's bytes (tag of one byte: field < 16), 0 when the value is 0. */
export const numField = (v: number): number => (v === 0 ? 0 : 1 + numSize(v));
/** A length-delimited field's bytes around `len` bytes of content (tag of one byte). */
export const lenField = (len: number): number => 1 + numSize(len) + len;

/** The encoded size of a `mvccpb.KeyValue`'s fields. */
export function keyValueSize(kv: Readonly<KeyValue>): number {
  return (kv.key.length === 0 ? 0 : lenField(kv.key.length)) + numField(kv.createRevision) + numField(kv.modRevision) + numField(kv.version) +
    (kv.value.length === 0 ? 0 : lenField(kv.value.length)) + (kv.lease === 0n ? 0 : 1 + bigSize(kv.lease));
}

/** The header's cluster and member id fields, encoded once per pair (a server's never change). */
let ids: { clusterId: bigint; memberId: bigint; fields: Buffer } | undefined;

const NO_IDS = Buffer.alloc(0);

/** The encoded cluster and member id fields of `h` (none when both are 0, as in a txn's nested responses). */
function idFields(h: ResponseHeader): Buffer {
  if (h.clusterId === 0n && h.memberId === 0n) return NO_IDS;
  if (ids?.clusterId !== h.clusterId || ids.memberId !== h.memberId) {
    const size = (h.clusterId === 0n ? 0 : 1 + bigSize(h.clusterId)) + (h.memberId === 0n ? 0 : 1 + bigSize(h.memberId));
    const o = new Out(size);
    if (h.clusterId !== 0n) {
      o.byte(1 << 3);
      o.big(h.clusterId);
    }
    if (h.memberId !== 0n) {
      o.byte(2 << 3);
      o.big(h.memberId);
    }
    ids = { clusterId: h.clusterId, memberId: h.memberId, fields: o.buf };
  }
  return ids.fields;
}

/** The encoded size of a `ResponseHeader`'s fields. */
export function headerSize(h: ResponseHeader): number {
  return idFields(h).length + numField(h.revision) + numField(h.raftTerm);
}

/** Writes into one Buffer of exactly the encoded size. */
export class Out {
  /** The buffer, of exactly the size given. */
  readonly buf: Buffer;
  /** Where the next byte goes. */
  pos = 0;
  /** @param size - the exact encoded size. */
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  /** One raw byte. */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  /** A varint of integer `v` (a negative one as its 64-bit two's complement). */
  num(v: number): void {
    if (v < 0) {
      this.big(BigInt(v));
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  /** A varint of `v` in the int64 / uint64 range. */
  big(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  /** A `true` bool field. */
  bool(field: number): void {
    this.byte(field << 3);
    this.byte(1);
  }
  /** A number field, left out when 0. */
  numField(field: number, v: number): void {
    if (v === 0) return;
    this.byte(field << 3);
    this.num(v);
  }
  /** A bytes field, left out when empty. */
  bytesField(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.byte((field << 3) | 2);
    this.num(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** The tag and length of a nested message of `size` bytes, whose fields the caller writes next. */
  nested(field: number, size: number): void {
    this.byte((field << 3) | 2);
    this.num(size);
  }
  /** A `ResponseHeader` field of `size` bytes ({@link headerSize}). */
  header(field: number, h: ResponseHeader, size: number): void {
    this.nested(field, size);
    const fields = idFields(h);
    this.buf.set(fields, this.pos);
    this.pos += fields.length;
    this.numField(3, h.revision);
    this.numField(4, h.raftTerm);
  }
  /** A `mvccpb.KeyValue` field of `size` bytes ({@link keyValueSize}). */
  keyValue(field: number, kv: Readonly<KeyValue>, size: number): void {
    this.nested(field, size);
    this.bytesField(1, kv.key);
    this.numField(2, kv.createRevision);
    this.numField(3, kv.modRevision);
    this.numField(4, kv.version);
    this.bytesField(5, kv.value);
    if (kv.lease !== 0n) {
      this.byte(6 << 3);
      this.big(kv.lease);
    }
  }
}
