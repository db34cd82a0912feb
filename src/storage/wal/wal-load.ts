import { join } from 'node:path';
import { emptyHardState, type Entry, type HardState, type SnapshotMetadata } from '../../raft/entry.js';
import { CorruptStorageError } from '../errors.js';
import { listDir, readWhole, removeFiles, segmentName, zeroFill, ZEROS } from './files.js';
import { decodeRecords, readFrame, RecordType, validFrameAfter, type WalRecord } from './format.js';
import { LiveRuns } from './live-runs.js';
import type { WalFileSystem } from './wal-fs.js';

/**
 * Loading and checking what {@link WalStorage} wrote, on open: every segment is read, every
 * frame's checksum checked and its records replayed in order.
 * @module
 */

/**
 * What a repair on open removed; see `WalStorage.recovery`. The rule: the first bad frame is
 * cut only when it is in the last segment, no valid frame follows it there, and the log left
 * still reaches the persisted commit index (each write is one frame and writes are
 * serialised, so only the last frame can be torn, and its `save` never resolved, so nothing
 * in it was acknowledged). Any other damage fails `open` with `CorruptStorageError`.
 */
export interface WalStorageRecovery {
  /** The segment file whose tail was cut. */
  segment: string;
  /** The byte offset of the first bad frame (the file was zeroed from there; 0 removed the file). */
  at: number;
  /** Why the frame there failed. */
  reason: string;
}

/** The state loaded on open. */
export interface WalLoaded {
  /** The hard state. */
  hardState: HardState;
  /** The current snapshot's metadata. */
  snapshot: SnapshotMetadata;
  /** The compaction point. */
  offset: { index: number; term: number };
  /** The entries after the compaction point. */
  entries: Entry[];
  /** The segment of each live entry. */
  runs: LiveRuns;
  /** The segments kept, ascending; empty for a new store. */
  segments: number[];
  /** Where the next frame goes in the last segment. */
  position: number;
  /** The size of the last segment file. */
  size: number;
  /** The snapshot files present. */
  snapshotFiles: number[];
  /** What was cut from a torn tail, if anything. */
  recovery: WalStorageRecovery | undefined;
}

/** The log as records are replayed; `hole` when entries before `base` are missing so far. */
class Replay {
  hardState: HardState = emptyHardState();
  snapshot: SnapshotMetadata;
  base = 0;
  baseTerm = 0;
  hole = false;
  entries: Entry[] = [];
  readonly runs = new LiveRuns();

  constructor(initial: SnapshotMetadata) {
    this.snapshot = initial;
  }

  get last(): number {
    return this.base + this.entries.length;
  }

  apply(rec: WalRecord, seq: number, first: boolean): void {
    switch (rec.type) {
      case RecordType.Header:
        if (rec.seq !== seq) throw new CorruptStorageError('segment header', undefined, `segment ${seq} says it is ${rec.seq}`);
        if (first) {
          this.hardState = rec.state.hardState;
          this.snapshot = rec.state.snapshot;
          this.base = rec.state.offset.index;
          this.baseTerm = rec.state.offset.term;
        }
        return;
      case RecordType.Entry: {
        const e = rec.entry;
        if (e.index <= this.base && !this.hole) return;
        if (e.index > this.last + 1 || e.index <= this.base) {
          // Entries before this one were in segments deleted after compaction (or, inside such
          // a hole, this one replaces some); a compact record later on must cover them
          // (checked at the end).
          this.entries = [];
          this.base = e.index - 1;
          this.hole = true;
        } else {
          this.entries.length = e.index - this.base - 1;
        }
        this.entries.push(e);
        this.runs.append(e.index, seq);
        return;
      }
      case RecordType.HardState:
        this.hardState = rec.hardState;
        return;
      case RecordType.Install:
        this.snapshot = rec.metadata;
        this.base = rec.metadata.index;
        this.baseTerm = rec.metadata.term;
        this.hole = false;
        this.entries = [];
        this.runs.reset();
        return;
      case RecordType.Snapshot:
        this.snapshot = rec.metadata;
        return;
      case RecordType.Compact:
        if (rec.index < this.base) return;
        this.entries = this.entries.slice(rec.index - this.base);
        this.base = rec.index;
        this.baseTerm = rec.term;
        this.hole = false;
        this.runs.compact(rec.index);
        return;
    }
  }
}

interface Tail {
  at: number;
  reason: string;
}

/** Replays one segment's frames; returns where the written part ends, or the bad frame. */
function replaySegment(seg: Buffer, seq: number, replay: Replay, first: boolean): { position: number; bad: Tail | undefined } {
  let at = 0;
  for (;;) {
    const f = readFrame(seg, at);
    if (f === 'end') return { position: at, bad: undefined };
    if (typeof f === 'string') return { position: at, bad: { at, reason: f } };
    let records: WalRecord[];
    try {
      records = decodeRecords(f.payload);
    } catch (cause) {
      throw new CorruptStorageError('segment frame', undefined, `${segmentName(seq)} at ${at}: undecodable`, { cause });
    }
    if (at === 0 && records[0]?.type !== RecordType.Header) {
      throw new CorruptStorageError('segment header', undefined, `${segmentName(seq)} does not start with a header`);
    }
    for (const r of records) replay.apply(r, seq, first && at === 0);
    at = f.next;
  }
}

function readSegment(fs: WalFileSystem, dir: string, seq: number): Promise<Buffer> {
  return readWhole(fs, join(dir, segmentName(seq)));
}

/**
 * Loads the log from `dir`, repairing a torn tail.
 *
 * The repair rule (the one `LevelStorage` follows, in frame terms): the first bad frame may
 * be cut only when (1) it is in the last segment and no valid frame follows it there, and
 * (2) the log left still reaches the persisted commit index. Writes are serialised and each
 * is one frame, so only the last frame can be torn, and a frame whose `save` never resolved
 * was never acknowledged. A zero length marks the end; a bad frame anywhere else, a bad frame
 * followed by a valid one, a gap in the segment numbers or missing entries fail with
 * {@link CorruptStorageError}.
 */
export async function loadWal(fs: WalFileSystem, dir: string, initial: SnapshotMetadata): Promise<WalLoaded> {
  const listing = await listDir(fs, dir);
  await removeFiles(fs, dir, listing.temporary);
  const segments = listing.segments;
  const replay = new Replay(initial);
  let position = 0;
  let size = 0;
  let recovery: WalStorageRecovery | undefined;
  let emptied = false;
  for (let k = 0; k < segments.length; k++) {
    const seq = segments[k]!;
    if (k > 0 && seq !== segments[k - 1]! + 1) {
      throw new CorruptStorageError('segment', undefined, `${segmentName(segments[k - 1]! + 1)} is missing`);
    }
    const seg = await readSegment(fs, dir, seq);
    const isLast = k === segments.length - 1;
    const r = replaySegment(seg, seq, replay, k === 0);
    position = r.position;
    size = seg.length;
    const damage = r.bad ?? (isLast ? tailGarbage(seg, r.position) : undefined);
    if (damage === undefined) {
      // A last segment with nothing written (a crash right after it was put in place) is
      // removed, so that the next write starts a segment with its header.
      if (isLast && r.position === 0) {
        await cutTail(fs, dir, seq, 0, seg.length);
        segments.pop();
        emptied = true;
      }
      continue;
    }
    const name = segmentName(seq);
    if (!isLast) throw new CorruptStorageError('segment frame', undefined, `${name} at ${damage.at}: ${damage.reason}`);
    const after = validFrameAfter(seg, damage.at + 1);
    if (after !== undefined) {
      throw new CorruptStorageError('segment frame', undefined, `${name} at ${damage.at}: ${damage.reason}, and a valid frame follows at ${after}`);
    }
    recovery = { segment: name, at: damage.at, reason: damage.reason };
    await cutTail(fs, dir, seq, damage.at, seg.length);
    if (damage.at === 0) {
      segments.pop();
      emptied = true;
    }
  }
  if (emptied && segments.length > 0) {
    // The headerless segment was removed: the one before it is the last now.
    const seg = await readSegment(fs, dir, segments[segments.length - 1]!);
    position = replayEnd(seg);
    size = seg.length;
  }
  if (replay.hole) throw new CorruptStorageError('entry', replay.base, 'missing (its segment was deleted but no compaction covers it)');
  const last = replay.last;
  if (last < replay.hardState.commit) {
    throw new CorruptStorageError('entry', last + 1, `missing; the log ends at ${last} below commit ${replay.hardState.commit}`);
  }
  const snapIndex = replay.snapshot.index;
  if (snapIndex < replay.base || snapIndex > last) {
    throw new CorruptStorageError('snapshot metadata', snapIndex, `outside the log [${replay.base}, ${last}]`);
  }
  return {
    hardState: replay.hardState,
    snapshot: replay.snapshot,
    offset: { index: replay.base, term: replay.baseTerm },
    entries: replay.entries,
    runs: replay.runs,
    segments,
    position,
    size,
    snapshotFiles: listing.snapshots,
    recovery,
  };
}

/** The end of the written part of a segment already replayed without damage. */
function replayEnd(seg: Buffer): number {
  let at = 0;
  for (;;) {
    const f = readFrame(seg, at);
    if (typeof f !== 'object') return at;
    at = f.next;
  }
}

/** Non-zero bytes after the end marker of the last segment: the rest of a torn frame. */
function tailGarbage(seg: Buffer, end: number): Tail | undefined {
  const step = ZEROS.length;
  for (let at = end; at < seg.length; at += step) {
    const part = seg.subarray(at, Math.min(seg.length, at + step));
    if (!part.equals(ZEROS.subarray(0, part.length))) {
      return { at: end, reason: `non-zero bytes after the end marker (within ${at}..${at + part.length})` };
    }
  }
  return undefined;
}

/** Zeroes a segment from `at` (removes it when `at` is 0) and makes that durable. */
async function cutTail(fs: WalFileSystem, dir: string, seq: number, at: number, size: number): Promise<void> {
  const path = join(dir, segmentName(seq));
  if (at === 0) {
    await fs.unlink(path);
    await fs.syncDir(dir);
    return;
  }
  const file = await fs.open(path, 'update');
  try {
    await zeroFill(file, at, size);
    await file.datasync();
  } finally {
    await file.close();
  }
}
