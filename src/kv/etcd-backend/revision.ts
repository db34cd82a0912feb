/**
 * Keys of etcd's `key` bucket (etcd server/mvcc revision.go): a revision is `{main, sub}` — main
 * is the store revision of a write transaction, sub the op's index inside it — encoded as 17
 * bytes so that keys sort in revision order:
 * ```
 *  0  main  8 bytes big-endian
 *  8  '_'   (0x5f)
 *  9  sub   8 bytes big-endian
 * 17  't'   (0x74) — present only on a tombstone (a delete), whose value is a KeyValue
 *           holding just the key
 * ```
 * The same 17-byte form (without the marker) is the value of `meta`'s `scheduledCompactRev` and
 * `finishedCompactRev`.
 * @module
 */
import { SnapshotCorruptError } from '../bbolt/errors.js';

/** A store revision: main revision and sub-index within it. */
export interface Revision {
  /** Main revision (one per write transaction). */
  readonly main: number;
  /** Sub revision (op index within the transaction). */
  readonly sub: number;
}

/** Bytes of an encoded revision without the tombstone marker. */
export const REV_BYTES = 17;
/** The tombstone marker byte ('t'). */
export const TOMBSTONE_MARK = 0x74;

/** Encodes a `key` bucket key (18 bytes with the tombstone marker). */
export function encodeRevKey(rev: Revision, tombstone = false): Uint8Array {
  const out = new Uint8Array(tombstone ? REV_BYTES + 1 : REV_BYTES);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(rev.main), false);
  out[8] = 0x5f;
  dv.setBigUint64(9, BigInt(rev.sub), false);
  if (tombstone) out[REV_BYTES] = TOMBSTONE_MARK;
  return out;
}

/** Decodes a `key` bucket key (or a 17-byte compaction revision). */
export function decodeRevKey(key: Uint8Array): Revision & { tombstone: boolean } {
  const tombstone = key.length === REV_BYTES + 1 && key[REV_BYTES] === TOMBSTONE_MARK;
  if ((key.length !== REV_BYTES && !tombstone) || key[8] !== 0x5f) {
    throw new SnapshotCorruptError('layout', `revision key of ${String(key.length)} bytes is not main(8) '_' sub(8) ['t']`);
  }
  const dv = new DataView(key.buffer, key.byteOffset, REV_BYTES);
  const main = dv.getBigUint64(0, false);
  const sub = dv.getBigUint64(9, false);
  if (main > BigInt(Number.MAX_SAFE_INTEGER) || sub > BigInt(Number.MAX_SAFE_INTEGER)) throw new SnapshotCorruptError('layout', 'revision out of range');
  return { main: Number(main), sub: Number(sub), tombstone };
}
