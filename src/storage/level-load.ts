import type { AbstractLevel, AbstractSublevel } from 'abstract-level';
import { decodeEntry } from '../codec/message.js';
import { decodeHardState, decodeSnapshotMetadata } from '../codec/state.js';
import { emptyConfState, emptyHardState, type Entry, type HardState, type SnapshotMetadata } from '../raft/entry.js';
import { CorruptStorageError } from './errors.js';
import { chunkKey, KEY_HARD_STATE, KEY_SNAPSHOT, logKeyIndex } from './keys.js';
import { decodeSnapshotHeader, unseal } from './records.js';

/**
 * Loading and checking what {@link LevelStorage} stored, on open.
 * @module
 */

/** Any abstract-level database, whatever its default encodings. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLevel = AbstractLevel<any, any, any>;

/** A sublevel with `Uint8Array` keys and values. */
export type BytesSublevel = AbstractSublevel<AnyLevel, unknown, Uint8Array, Uint8Array>;

/** The three sublevels of a LevelStorage (see keys.ts). */
export interface LevelParts {
  /** The log entries, keyed by index. */
  log: BytesSublevel;
  /** The hard state and the snapshot header. */
  meta: BytesSublevel;
  /** The snapshot chunks. */
  snap: BytesSublevel;
}

/** The persisted snapshot's metadata and chunking. */
export interface StoredSnapshot {
  /** The metadata (index 0 when no snapshot was ever stored). */
  metadata: SnapshotMetadata;
  /** How many chunks hold its data. */
  chunks: number;
  /** The total byte length of its data. */
  byteLength: number;
}

/** What a repair on open removed; see {@link LevelStorage.recovery}. */
export interface LevelStorageRecovery {
  /** The index of the first log record that failed its checks and was removed. */
  truncatedFrom: number;
  /** How many log records were removed (the bad one and every record after it). */
  removed: number;
  /** Why the first one failed. */
  reason: string;
}

/** The state loaded on open. */
export interface LoadedState {
  /** The persisted hard state (empty when none was stored). */
  hardState: HardState;
  /** The persisted snapshot header. */
  snapshot: StoredSnapshot;
  /** The compaction point: the index and term of the log's first (dummy) record. */
  offset: { index: number; term: number };
  /** The entries after the compaction point. */
  entries: Entry[];
  /** What was removed from a torn tail, if anything. */
  recovery: LevelStorageRecovery | undefined;
  /** Whether the store held nothing at all (a new database). */
  fresh: boolean;
}

function checked<T>(record: string, index: number | undefined, bytes: Uint8Array, decode: (b: Uint8Array) => T): T {
  const payload = unseal(bytes);
  if (payload === undefined) throw new CorruptStorageError(record, index, 'checksum mismatch');
  try {
    return decode(payload);
  } catch (cause) {
    throw new CorruptStorageError(record, index, 'undecodable record', { cause });
  }
}

/** Reads and checks the snapshot header; an empty snapshot with `initialConf` when none is stored. */
export async function loadSnapshotHeader(parts: LevelParts, initial: SnapshotMetadata): Promise<StoredSnapshot> {
  const bytes = await parts.meta.get(KEY_SNAPSHOT);
  if (bytes === undefined) return { metadata: initial, chunks: 0, byteLength: 0 };
  return checked('snapshot header', undefined, bytes, (payload) => {
    const h = decodeSnapshotHeader(payload);
    if (h === undefined) throw new Error('short header');
    return { metadata: decodeSnapshotMetadata(h.metadata), chunks: h.chunks, byteLength: h.byteLength };
  });
}

/**
 * Reads the chunks of the snapshot `s`, checking each checksum, the count and the total length.
 *
 * @yields {Uint8Array} each chunk's bytes, in order.
 */
export async function* readChunks(parts: LevelParts, s: StoredSnapshot): AsyncGenerator<Uint8Array> {
  const index = s.metadata.index;
  let n = 0;
  let size = 0;
  // One iterator: it reads from an implicit snapshot of the database, so a concurrent write of
  // a newer snapshot (which deletes these chunks) cannot tear the read.
  for await (const [key, value] of parts.snap.iterator({ gte: chunkKey(index, 0), lt: chunkKey(index + 1, 0) })) {
    const expected = chunkKey(index, n);
    if (key.length !== 12 || !key.every((b, k) => b === expected[k])) {
      throw new CorruptStorageError('snapshot chunk', index, `chunk ${n} is missing`);
    }
    const chunk = unseal(value);
    if (chunk === undefined) throw new CorruptStorageError('snapshot chunk', index, `chunk ${n}: checksum mismatch`);
    n++;
    size += chunk.length;
    yield chunk;
  }
  if (n !== s.chunks || size !== s.byteLength) {
    throw new CorruptStorageError(
      'snapshot chunk',
      index,
      `found ${n} chunks of ${size} bytes, the header says ${s.chunks} chunks of ${s.byteLength} bytes`,
    );
  }
}

/** Joins a snapshot's chunks into one buffer. */
export async function readSnapshotData(parts: LevelParts, s: StoredSnapshot): Promise<Uint8Array> {
  const data = new Uint8Array(s.byteLength);
  let at = 0;
  for await (const chunk of readChunks(parts, s)) {
    if (at + chunk.length > data.length) throw new CorruptStorageError('snapshot chunk', s.metadata.index, 'too much data');
    data.set(chunk, at);
    at += chunk.length;
  }
  return data;
}

interface LogRecord {
  index: number;
  entry: Entry | undefined;
  problem: string | undefined;
}

function checkLogRecord(key: Uint8Array, value: Uint8Array, expected: number | undefined, prevTerm: number): LogRecord {
  const index = logKeyIndex(key);
  if (Number.isNaN(index)) return { index: expected ?? NaN, entry: undefined, problem: 'malformed key' };
  if (expected !== undefined && index !== expected) {
    return { index: expected, entry: undefined, problem: `missing (the next stored record is ${index})` };
  }
  const payload = unseal(value);
  if (payload === undefined) return { index, entry: undefined, problem: 'checksum mismatch' };
  let entry: Entry;
  try {
    entry = decodeEntry(payload);
  } catch {
    return { index, entry: undefined, problem: 'undecodable record' };
  }
  if (entry.index !== index) return { index, entry: undefined, problem: `record holds index ${entry.index}` };
  if (entry.term < prevTerm) return { index, entry: undefined, problem: `term ${entry.term} is below ${prevTerm}` };
  return { index, entry, problem: undefined };
}

/**
 * Loads the hard state, snapshot header and log, checking every record.
 *
 * The repair rule: the log may be cut at the first bad record only when (1) the record is
 * above the persisted commit index and above the snapshot, and (2) no valid record follows
 * it. Such a tail can only come from the last batch written (batches are atomic, so a batch
 * that did not complete is whole or torn at the end), and a batch whose `save` never resolved
 * was never acknowledged: the driver sends messages only after the save resolves. Anything
 * else (a bad hard state or snapshot header, a bad record at or below commit, a bad record
 * followed by good ones, a log that ends below commit) fails with {@link CorruptStorageError}.
 */
export async function loadLevelState(parts: LevelParts, initial: SnapshotMetadata): Promise<LoadedState> {
  const hsBytes = await parts.meta.get(KEY_HARD_STATE);
  const hardState = hsBytes === undefined ? emptyHardState() : checked('hard state', undefined, hsBytes, decodeHardState);
  const snapshot = await loadSnapshotHeader(parts, initial);

  let offset: { index: number; term: number } | undefined;
  const entries: Entry[] = [];
  let bad: LogRecord | undefined;
  let removed = 0;
  let prevTerm = 0;
  for await (const [key, value] of parts.log.iterator()) {
    if (bad !== undefined) {
      // Past a bad record, any record that is sound on its own means the damage is not a tail.
      const rec = checkLogRecord(key, value, undefined, 0);
      if (rec.problem === undefined) {
        throw new CorruptStorageError('entry', bad.index, `${bad.problem}, and a valid record follows at ${rec.index}`);
      }
      removed++;
      continue;
    }
    const expected = offset === undefined ? undefined : offset.index + entries.length + 1;
    const rec = checkLogRecord(key, value, expected, prevTerm);
    if (rec.problem !== undefined || rec.entry === undefined) {
      bad = rec;
      removed++;
      continue;
    }
    if (offset === undefined) offset = { index: rec.index, term: rec.entry.term };
    else entries.push(rec.entry);
    prevTerm = rec.entry.term;
  }

  let recovery: LevelStorageRecovery | undefined;
  if (bad !== undefined) {
    const floor = Math.max(hardState.commit, snapshot.metadata.index);
    if (offset === undefined || bad.index <= floor) {
      throw new CorruptStorageError('entry', bad.index, `${bad.problem ?? 'bad record'} (at or below commit ${floor})`);
    }
    recovery = { truncatedFrom: bad.index, removed, reason: bad.problem ?? 'bad record' };
  }
  const fresh = offset === undefined && bad === undefined && hsBytes === undefined && snapshot.chunks === 0 && snapshot.metadata === initial;
  if (offset === undefined) {
    if (!fresh) throw new CorruptStorageError('entry', snapshot.metadata.index, 'the log is empty');
    offset = { index: 0, term: 0 };
  }
  const last = offset.index + entries.length;
  if (last < hardState.commit) {
    throw new CorruptStorageError('entry', last + 1, `missing; the log ends at ${last} below commit ${hardState.commit}`);
  }
  if (snapshot.metadata.index < offset.index || snapshot.metadata.index > last) {
    throw new CorruptStorageError(
      'snapshot header',
      snapshot.metadata.index,
      `outside the log [${offset.index}, ${last}]`,
    );
  }
  return { hardState, snapshot, offset, entries, recovery, fresh };
}

/** A metadata value for an empty store with the given initial configuration. */
export function initialMetadata(voters: readonly number[] = [], learners: readonly number[] = []): SnapshotMetadata {
  const confState = emptyConfState();
  confState.voters = [...voters];
  confState.learners = [...learners];
  return { index: 0, term: 0, confState };
}
