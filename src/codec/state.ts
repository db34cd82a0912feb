import type { ConfState, HardState, Snapshot, SnapshotMetadata } from '../raft/entry.js';
import { decodeRecord, packRecord, RecordKind } from './envelope.js';
import { readBool, readBytes, readIds, readTuple, readUint } from './validate.js';

// Body layouts (format version 1), all msgpack arrays:
//   HardState        [term, vote, commit]
//   ConfState        [voters, learners, votersOutgoing, learnersNext, autoLeave]
//   SnapshotMetadata [index, term, ConfState]
//   Snapshot         [data, SnapshotMetadata]          (inside a Message only)

/**
 * The version 1 body of a {@link ConfState}.
 *
 * @internal
 */
export function confStateBody(cs: ConfState): unknown[] {
  return [cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext, cs.autoLeave];
}

/**
 * Reads a version 1 {@link ConfState} body.
 *
 * @internal
 */
export function readConfState(v: unknown): ConfState {
  const f = readTuple(v, 5, 'ConfState');
  return {
    voters: readIds(f[0], 'ConfState.voters'),
    learners: readIds(f[1], 'ConfState.learners'),
    votersOutgoing: readIds(f[2], 'ConfState.votersOutgoing'),
    learnersNext: readIds(f[3], 'ConfState.learnersNext'),
    autoLeave: readBool(f[4], 'ConfState.autoLeave'),
  };
}

/**
 * The version 1 body of a {@link SnapshotMetadata}.
 *
 * @internal
 */
export function snapshotMetadataBody(md: SnapshotMetadata): unknown[] {
  return [md.index, md.term, confStateBody(md.confState)];
}

/**
 * Reads a version 1 {@link SnapshotMetadata} body.
 *
 * @internal
 */
export function readSnapshotMetadata(v: unknown): SnapshotMetadata {
  const f = readTuple(v, 3, 'SnapshotMetadata');
  return {
    confState: readConfState(f[2]),
    index: readUint(f[0], 'SnapshotMetadata.index'),
    term: readUint(f[1], 'SnapshotMetadata.term'),
  };
}

/**
 * The version 1 body of a {@link Snapshot} (data and metadata).
 *
 * @internal
 */
export function snapshotBody(snap: Snapshot): unknown[] {
  return [snap.data, snapshotMetadataBody(snap.metadata)];
}

/**
 * Reads a version 1 {@link Snapshot} body; the data is copied.
 *
 * @internal
 */
export function readSnapshot(v: unknown): Snapshot {
  const f = readTuple(v, 2, 'Snapshot');
  return { data: readBytes(f[0], 'Snapshot.data'), metadata: readSnapshotMetadata(f[1]) };
}

/** Encodes a {@link HardState} as a versioned record (for storage). */
export function encodeHardState(hs: HardState): Uint8Array {
  return packRecord(RecordKind.HardState, [hs.term, hs.vote, hs.commit]);
}

/**
 * Decodes a record written by {@link encodeHardState}.
 *
 * @throws `CodecError` when the bytes are not a valid HardState record.
 */
export function decodeHardState(bytes: Uint8Array): HardState {
  return decodeRecord(bytes, RecordKind.HardState, (body) => {
    const f = readTuple(body, 3, 'HardState');
    return {
      term: readUint(f[0], 'HardState.term'),
      vote: readUint(f[1], 'HardState.vote'),
      commit: readUint(f[2], 'HardState.commit'),
    };
  });
}

/** Encodes a {@link ConfState} as a versioned record (for storage). */
export function encodeConfState(cs: ConfState): Uint8Array {
  return packRecord(RecordKind.ConfState, confStateBody(cs));
}

/**
 * Decodes a record written by {@link encodeConfState}.
 *
 * @throws `CodecError` when the bytes are not a valid ConfState record.
 */
export function decodeConfState(bytes: Uint8Array): ConfState {
  return decodeRecord(bytes, RecordKind.ConfState, readConfState);
}

/** Encodes a {@link SnapshotMetadata} as a versioned record (for storage; the data is stored apart). */
export function encodeSnapshotMetadata(md: SnapshotMetadata): Uint8Array {
  return packRecord(RecordKind.SnapshotMetadata, snapshotMetadataBody(md));
}

/**
 * Decodes a record written by {@link encodeSnapshotMetadata}.
 *
 * @throws `CodecError` when the bytes are not a valid SnapshotMetadata record.
 */
export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  return decodeRecord(bytes, RecordKind.SnapshotMetadata, readSnapshotMetadata);
}
