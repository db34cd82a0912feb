import type { Snapshot, SnapshotMetadata } from '../raft/entry.js';
import { SnapOutOfDateError } from '../raft/errors.js';
import { StorageInvalidArgumentError } from './errors.js';
import type { SnapshotStreams, Storage } from './storage.js';

/**
 * Snapshot references: the few bytes a {@link Snapshot}'s `data` holds in place of a large
 * snapshot's real data, which stays in the storage's chunks. The Raft core carries a snapshot
 * as one `Uint8Array` and never looks inside it, so a reference travels through the core (the
 * leader's `MsgSnap`, a follower's Ready) like any data; the replica resolves it into a stream
 * of chunks where the data is needed (sending, restoring).
 *
 * Layout: the 12 magic bytes `raftkit-sref`, then index, term and byte length (float64,
 * big-endian): 36 bytes.
 * @module
 */

const MAGIC = new TextEncoder().encode('raftkit-sref');
const SIZE = MAGIC.length + 24;

/** What a snapshot reference names: a snapshot in storage and the length of its data. */
export interface SnapshotRef {
  /** The snapshot's index. */
  index: number;
  /** The snapshot's term. */
  term: number;
  /** The length of the snapshot's real data, in bytes. */
  byteLength: number;
}

/** Encodes a {@link SnapshotRef} as the `data` of a snapshot. */
export function encodeSnapshotRef(ref: SnapshotRef): Uint8Array {
  const out = new Uint8Array(SIZE);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setFloat64(MAGIC.length, ref.index);
  dv.setFloat64(MAGIC.length + 8, ref.term);
  dv.setFloat64(MAGIC.length + 16, ref.byteLength);
  return out;
}

/** Decodes snapshot data that is a reference; `undefined` for any other data. */
export function decodeSnapshotRef(data: Uint8Array): SnapshotRef | undefined {
  if (data.length !== SIZE) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return undefined;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ref = { index: dv.getFloat64(MAGIC.length), term: dv.getFloat64(MAGIC.length + 8), byteLength: dv.getFloat64(MAGIC.length + 16) };
  const ok = Number.isSafeInteger(ref.index) && Number.isSafeInteger(ref.term) && Number.isSafeInteger(ref.byteLength) && ref.byteLength >= 0;
  return ok ? ref : undefined;
}

/**
 * Storage that can hold a snapshot's data in its chunks only and hand the core a reference
 * to it (see {@link encodeSnapshotRef}): a snapshot of any size then never needs one buffer.
 *
 * - {@link SnapshotStaging.snapshotRef} is `snapshot()` with a reference as data: the data is
 *   read with `readSnapshotChunks(index)`.
 * - {@link SnapshotStaging.stageSnapshot} stores the chunks of a snapshot that is not current
 *   yet (a follower receiving one, or a member taking its own) and returns its reference. A
 *   later `save({ snapshot })` or `createSnapshot(index, confState, data)` whose data is that
 *   reference makes it current without copying the data again.
 */
export interface SnapshotStaging {
  /** The current snapshot with a reference in place of its data (nothing is loaded). */
  snapshotRef(): Snapshot;
  /**
   * Stores `chunks` as the data of the snapshot at `metadata.index` without making it
   * current, replacing any snapshot staged before. Resolves to the reference to pass as the
   * snapshot's data to `save` or `createSnapshot`.
   *
   * @throws `SnapOutOfDateError` when `metadata.index` is not newer than the current snapshot.
   */
  stageSnapshot(metadata: Pick<SnapshotMetadata, 'index' | 'term'>, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array>;
}

/** A storage that streams and stages snapshots. */
export type StagingStorage = Storage & SnapshotStreams & SnapshotStaging;

/** Whether `storage` streams and stages snapshots (see {@link SnapshotStaging}). */
export function supportsSnapshotStaging(storage: Storage): storage is StagingStorage {
  const s = storage as Partial<StagingStorage>;
  return storage.capabilities?.snapshotStreams === true && typeof s.stageSnapshot === 'function' && typeof s.snapshotRef === 'function';
}

/**
 * Checks the metadata of a `stageSnapshot` call against the current snapshot's index, as
 * {@link SnapshotStaging.stageSnapshot} documents.
 *
 * @throws `StorageInvalidArgumentError` for an index or term that is not a positive integer,
 * `SnapOutOfDateError` when the index is not newer than `current`.
 */
export function checkStageMetadata(metadata: Pick<SnapshotMetadata, 'index' | 'term'>, current: number): void {
  const { index, term } = metadata;
  if (!Number.isSafeInteger(index) || index <= 0 || !Number.isSafeInteger(term) || term <= 0) {
    throw new StorageInvalidArgumentError(`stageSnapshot: index and term must be positive integers, got ${index} and ${term}`);
  }
  if (index <= current) throw new SnapOutOfDateError(`stageSnapshot: snapshot at ${index} is not newer than ${current}`);
}
