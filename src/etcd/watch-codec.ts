/**
 * `etcdserverpb.WatchResponse`s that carry a watcher's batch, encoded by hand in two passes: the
 * exact size first, then the bytes straight into one Buffer of that size (from Node's pool for
 * small ones), with no growing, no moving of nested messages and no closure per field. A watcher's
 * member sends one per revision, so this runs once per event in a stream of puts; an off-heap
 * array per response (what a growable writer starts with) showed up as garbage-collection work.
 *
 * ```
 * WatchResponse   1 header ResponseHeader, 2 watch_id int64, 4 canceled bool, 5 compact_revision int64,
 *                 6 cancel_reason string, 7 fragment bool, 11 events repeated mvccpb.Event
 * ResponseHeader  1 cluster_id uint64, 2 member_id uint64, 3 revision int64, 4 raft_term uint64
 * mvccpb.Event    1 type (0 PUT, 1 DELETE), 2 kv KeyValue, 3 prev_kv KeyValue
 * mvccpb.KeyValue 1 key bytes, 2 create_revision, 3 mod_revision, 4 version, 5 value bytes, 6 lease (int64s)
 * ```
 * Zero-valued scalars and empty bytes are left out (proto3); the header and each event's kv are
 * always written. Integers are written as int64 varints (a negative one in ten bytes).
 * @module
 */
import type { KeyValue, ResponseHeader } from '../kv/types.js';
import type { WatchBatch } from '../kv/watch/types.js';

/** The bytes of a varint of `v` (an integer). */
function numSize(v: number): number {
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
const numField = (v: number): number => (v === 0 ? 0 : 1 + numSize(v));
/** A length-delimited field's bytes around `len` bytes of content (tag of one byte). */
const lenField = (len: number): number => 1 + numSize(len) + len;

function keyValueSize(kv: KeyValue): number {
  return (kv.key.length === 0 ? 0 : lenField(kv.key.length)) + numField(kv.createRevision) + numField(kv.modRevision) + numField(kv.version) +
    (kv.value.length === 0 ? 0 : lenField(kv.value.length)) + (kv.lease === 0n ? 0 : 1 + bigSize(kv.lease));
}

/** Writes into one Buffer of exactly the encoded size. */
class Out {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
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
  big(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  bool(field: number): void {
    this.byte(field << 3);
    this.byte(1);
  }
  numField(field: number, v: number): void {
    if (v === 0) return;
    this.byte(field << 3);
    this.num(v);
  }
  bytesField(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.byte((field << 3) | 2);
    this.num(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  keyValue(field: number, kv: KeyValue, size: number): void {
    this.byte((field << 3) | 2);
    this.num(size);
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

/** The header's cluster and member id fields, encoded once per pair (a server's never change). */
let ids: { clusterId: bigint; memberId: bigint; fields: Buffer } | undefined;

function idFields(h: ResponseHeader): Buffer {
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

/**
 * Encodes a watcher's batch (events, a progress notification or its end) as the WatchResponse of
 * stream-local watch id `watchId`.
 * @internal
 */
export function encodeWatchResponse(b: WatchBatch, watchId: number): Buffer {
  const h = b.header;
  const idBytes = idFields(h);
  const headerSize = idBytes.length + numField(h.revision) + numField(h.raftTerm);
  const reason = b.cancelReason === '' ? undefined : Buffer.from(b.cancelReason);
  let size = lenField(headerSize) + numField(watchId) + (b.canceled ? 2 : 0) + numField(b.compactRevision) +
    (reason === undefined ? 0 : lenField(reason.length)) + (b.fragment ? 2 : 0);
  // Each event's size and its kvs' sizes, kept for the second pass: [event, kv, prevKv] per event.
  const sizes: number[] = [];
  for (const e of b.events) {
    const kv = keyValueSize(e.kv);
    const prev = e.prevKv === undefined ? -1 : keyValueSize(e.prevKv);
    const event = numField(e.type) + lenField(kv) + (prev < 0 ? 0 : lenField(prev));
    sizes.push(event, kv, prev);
    size += lenField(event);
  }
  const o = new Out(size);
  o.byte((1 << 3) | 2);
  o.num(headerSize);
  o.buf.set(idBytes, o.pos);
  o.pos += idBytes.length;
  o.numField(3, h.revision);
  o.numField(4, h.raftTerm);
  o.numField(2, watchId);
  if (b.canceled) o.bool(4);
  o.numField(5, b.compactRevision);
  if (reason !== undefined) o.bytesField(6, reason);
  if (b.fragment) o.bool(7);
  for (let i = 0; i < b.events.length; i++) {
    const e = b.events[i]!;
    o.byte((11 << 3) | 2);
    o.num(sizes[3 * i]!);
    o.numField(1, e.type);
    o.keyValue(2, e.kv, sizes[3 * i + 1]!);
    const prev = sizes[3 * i + 2]!;
    if (e.prevKv !== undefined && prev >= 0) o.keyValue(3, e.prevKv, prev);
  }
  return o.buf;
}
