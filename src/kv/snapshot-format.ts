import { RaftkitError } from '../errors.js';
import { pack, unpack } from './record.js';

/** The version of {@link encodeKvSnapshot}'s format. */
const SNAPSHOT_FORMAT = 1;

/**
 * The whole KV state as records, the unit a snapshot carries: the revision records and lease
 * records exactly as the backend stores them, and the compaction revision.
 */
export interface KvSnapshotContent {
  /** The compacted revision, if any compaction happened. */
  compactRev: number | undefined;
  /** The current revision (kept even when its records were compacted away). */
  rev: number;
  /** `[encoded revision, encoded key-value]` pairs in revision order. */
  revisions: [Uint8Array, Uint8Array][];
  /** `[lease key, encoded lease]` pairs. */
  leases: [Uint8Array, Uint8Array][];
}

/** A KV snapshot's bytes are not a snapshot of this format. Code `ERR_KV_BAD_SNAPSHOT`. */
export class BadKvSnapshotError extends RaftkitError {
  /** @param message - what is wrong. */
  constructor(message: string) {
    super('ERR_KV_BAD_SNAPSHOT', message);
  }
}

/**
 * Encodes a KV snapshot (the only place that knows the layout): a version byte, then one
 * msgpack array `[compactRev | -1, rev, revisions, leases]`.
 */
export function encodeKvSnapshot(s: KvSnapshotContent): Uint8Array {
  const body = pack([s.compactRev ?? -1, s.rev, s.revisions, s.leases]);
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = SNAPSHOT_FORMAT;
  out.set(body, 1);
  return out;
}

/**
 * Decodes {@link encodeKvSnapshot}'s bytes.
 *
 * @throws {@link BadKvSnapshotError} when they are not well-formed.
 */
export function decodeKvSnapshot(bytes: Uint8Array): KvSnapshotContent {
  if (bytes.byteLength < 2 || bytes[0] !== SNAPSHOT_FORMAT) throw new BadKvSnapshotError(`unknown KV snapshot format ${String(bytes[0])}`);
  const a = unpack(bytes.subarray(1));
  if (!Array.isArray(a) || a.length !== 4) throw new BadKvSnapshotError('malformed KV snapshot');
  const [compactRev, rev, revisions, leases] = a as [number, number, [Uint8Array, Uint8Array][], [Uint8Array, Uint8Array][]];
  return { compactRev: compactRev < 0 ? undefined : compactRev, rev, revisions, leases };
}
