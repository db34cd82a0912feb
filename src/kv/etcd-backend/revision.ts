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
 * raftkit's own backend stores revisions the same way (kv/mvcc/revision.ts does the encoding);
 * this module adds the checks a file from outside needs. The same 17-byte form (without the
 * marker) is the value of `meta`'s `scheduledCompactRev` and `finishedCompactRev`.
 * @module
 */
import { SnapshotCorruptError } from '../bbolt/errors.js';
import { REVISION_BYTES, decodeRevision, encodeRevision } from '../mvcc/revision.js';
import type { Revision } from '../mvcc/revision.js';

/** Encodes a `key` bucket key (18 bytes with the tombstone marker). */
export function encodeRevKey(rev: Revision, tombstone = false): Uint8Array {
  return encodeRevision(rev, tombstone);
}

/** Decodes a `key` bucket key (or a 17-byte compaction revision), refusing any other shape. */
export function decodeRevKey(key: Uint8Array): Revision & { tombstone: boolean } {
  const tombstone = key.length === REVISION_BYTES + 1 && key[REVISION_BYTES] === 0x74;
  if ((key.length !== REVISION_BYTES && !tombstone) || key[8] !== 0x5f || key[0]! > 0x1f || key[9]! > 0x1f) {
    throw new SnapshotCorruptError('layout', `revision key of ${String(key.length)} bytes is not main(8) '_' sub(8) ['t'] with safe integers`);
  }
  const { rev } = decodeRevision(key);
  return { main: rev.main, sub: rev.sub, tombstone };
}
