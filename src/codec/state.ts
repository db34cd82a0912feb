import type { ConfState, HardState, Snapshot, SnapshotMetadata } from '../raft/entry.js';
import type { BinaryReader } from './binary.js';
import { beginRecord, decodeRecord, RecordKind, writer } from './envelope.js';
import { readBool, readBytes, readIds, readTuple, readUint } from './validate.js';

// Version 2 body layouts (binary; u64 = a safe integer as two little-endian u32 halves, see
// binary.ts; ids = u32 count then that many u64):
//   HardState        term u64 ‖ vote u64 ‖ commit u64
//   ConfState        voters ids ‖ learners ids ‖ votersOutgoing ids ‖ learnersNext ids ‖ autoLeave u8 (0/1)
//   SnapshotMetadata index u64 ‖ term u64 ‖ ConfState
//   Snapshot         data (u32 length ‖ bytes) ‖ SnapshotMetadata          (inside a Message only)
// Version 1 bodies (read only), msgpack arrays:
//   HardState        [term, vote, commit]
//   ConfState        [voters, learners, votersOutgoing, learnersNext, autoLeave]
//   SnapshotMetadata [index, term, ConfState]
//   Snapshot         [data, SnapshotMetadata]

function idsSize(ids: readonly number[]): number {
  return 4 + 8 * ids.length;
}

/**
 * The size of a version 2 {@link ConfState} body.
 *
 * @internal
 */
export function confStateSize(cs: ConfState): number {
  return idsSize(cs.voters) + idsSize(cs.learners) + idsSize(cs.votersOutgoing) + idsSize(cs.learnersNext) + 1;
}

function writeIds(ids: readonly number[]): void {
  writer.u32(ids.length);
  for (const id of ids) writer.u64(id);
}

/**
 * Writes a version 2 {@link ConfState} body.
 *
 * @internal
 */
export function writeConfState(cs: ConfState): void {
  writeIds(cs.voters);
  writeIds(cs.learners);
  writeIds(cs.votersOutgoing);
  writeIds(cs.learnersNext);
  writer.u8(cs.autoLeave ? 1 : 0);
}

function readBinaryIds(r: BinaryReader, field: string): number[] {
  const n = r.count(8, field);
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = r.u64(field);
  return ids;
}

function readBinaryBool(r: BinaryReader, field: string): boolean {
  return r.enumU8(1, field) === 1;
}

/**
 * Reads a version 2 {@link ConfState} body.
 *
 * @internal
 */
export function readBinaryConfState(r: BinaryReader): ConfState {
  return {
    voters: readBinaryIds(r, 'ConfState.voters'),
    learners: readBinaryIds(r, 'ConfState.learners'),
    votersOutgoing: readBinaryIds(r, 'ConfState.votersOutgoing'),
    learnersNext: readBinaryIds(r, 'ConfState.learnersNext'),
    autoLeave: readBinaryBool(r, 'ConfState.autoLeave'),
  };
}

/**
 * The size of a version 2 {@link SnapshotMetadata} body.
 *
 * @internal
 */
export function snapshotMetadataSize(md: SnapshotMetadata): number {
  return 16 + confStateSize(md.confState);
}

/**
 * Writes a version 2 {@link SnapshotMetadata} body.
 *
 * @internal
 */
export function writeSnapshotMetadata(md: SnapshotMetadata): void {
  writer.u64(md.index);
  writer.u64(md.term);
  writeConfState(md.confState);
}

/**
 * Reads a version 2 {@link SnapshotMetadata} body.
 *
 * @internal
 */
export function readBinarySnapshotMetadata(r: BinaryReader): SnapshotMetadata {
  const index = r.u64('SnapshotMetadata.index');
  const term = r.u64('SnapshotMetadata.term');
  return { confState: readBinaryConfState(r), index, term };
}

/**
 * The size of a version 2 {@link Snapshot} body.
 *
 * @internal
 */
export function snapshotSize(snap: Snapshot): number {
  return 4 + snap.data.length + snapshotMetadataSize(snap.metadata);
}

/**
 * Writes a version 2 {@link Snapshot} body.
 *
 * @internal
 */
export function writeSnapshot(snap: Snapshot): void {
  writer.bytes(snap.data);
  writeSnapshotMetadata(snap.metadata);
}

/**
 * Reads a version 2 {@link Snapshot} body (the data is a view of the reader's bytes).
 *
 * @internal
 */
export function readBinarySnapshot(r: BinaryReader): Snapshot {
  const data = r.bytes('Snapshot.data');
  return { data, metadata: readBinarySnapshotMetadata(r) };
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
  beginRecord(RecordKind.HardState, 24);
  writer.u64(hs.term);
  writer.u64(hs.vote);
  writer.u64(hs.commit);
  return writer.end();
}

function readHardStateV1(body: unknown): HardState {
  const f = readTuple(body, 3, 'HardState');
  return {
    term: readUint(f[0], 'HardState.term'),
    vote: readUint(f[1], 'HardState.vote'),
    commit: readUint(f[2], 'HardState.commit'),
  };
}

function readBinaryHardState(r: BinaryReader): HardState {
  const term = r.u64('HardState.term');
  const vote = r.u64('HardState.vote');
  return { term, vote, commit: r.u64('HardState.commit') };
}

/**
 * Decodes a record written by {@link encodeHardState} (format version 1 or 2).
 *
 * @throws `CodecError` when the bytes are not a valid HardState record.
 */
export function decodeHardState(bytes: Uint8Array): HardState {
  return decodeRecord(bytes, RecordKind.HardState, readHardStateV1, readBinaryHardState);
}

/** Encodes a {@link ConfState} as a versioned record (for storage). */
export function encodeConfState(cs: ConfState): Uint8Array {
  beginRecord(RecordKind.ConfState, confStateSize(cs));
  writeConfState(cs);
  return writer.end();
}

/**
 * Decodes a record written by {@link encodeConfState} (format version 1 or 2).
 *
 * @throws `CodecError` when the bytes are not a valid ConfState record.
 */
export function decodeConfState(bytes: Uint8Array): ConfState {
  return decodeRecord(bytes, RecordKind.ConfState, readConfState, readBinaryConfState);
}

/** Encodes a {@link SnapshotMetadata} as a versioned record (for storage; the data is stored apart). */
export function encodeSnapshotMetadata(md: SnapshotMetadata): Uint8Array {
  beginRecord(RecordKind.SnapshotMetadata, snapshotMetadataSize(md));
  writeSnapshotMetadata(md);
  return writer.end();
}

/**
 * Decodes a record written by {@link encodeSnapshotMetadata} (format version 1 or 2).
 *
 * @throws `CodecError` when the bytes are not a valid SnapshotMetadata record.
 */
export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  return decodeRecord(bytes, RecordKind.SnapshotMetadata, readSnapshotMetadata, readBinarySnapshotMetadata);
}
