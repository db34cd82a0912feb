import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { CorruptStorageError } from '../../src/storage/errors.js';
import { FrameWriter, readFrame } from '../../src/storage/wal/format.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';

const SEGMENT = 4096;
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function ent(index: number, term: number, size = 40): Entry {
  return { index, term, type: EntryType.EntryNormal, data: new Uint8Array(size).fill(index & 0xff) };
}

function open(dir: string): Promise<WalStorage> {
  return WalStorage.open({ dir, segmentSize: SEGMENT });
}

/** A log of 6 saves (entries 1..6, term 1) with commit 3 after the third; returns its directory. */
async function build(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-walc-'));
  made.push(dir);
  const s = await open(dir);
  for (let i = 1; i <= 6; i++) await s.save({ hardState: { term: 1, vote: 1, commit: Math.min(i, 3) }, entries: [ent(i, 1)], sync: true });
  await s.close();
  return dir;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.wal')).sort();
}

/** The start offsets of the frames of a segment. */
function frames(path: string): number[] {
  const seg = readFileSync(path);
  const out: number[] = [];
  for (let at = 0; ; ) {
    const f = readFrame(seg, at);
    if (typeof f !== 'object') return out;
    out.push(at);
    at = f.next;
  }
}

function flip(path: string, at: number): void {
  const b = readFileSync(path);
  b[at] = b[at]! ^ 0x40;
  writeFileSync(path, b);
}

async function openError(dir: string): Promise<CorruptStorageError> {
  const err = await open(dir).then(
    (s) => s.close(),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptStorageError);
  return err as CorruptStorageError;
}

describe('WalStorage segments', () => {
  test('one save is one frame, whatever it holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-walc-'));
    made.push(dir);
    const s = await open(dir);
    await s.save({ hardState: { term: 1, vote: 1, commit: 0 }, entries: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ent(i, 1)), sync: true });
    await s.close();
    // The header frame of the new store, then the save's frame.
    expect(frames(join(dir, segmentFiles(dir)[0]!))).toHaveLength(2);
  });

  test('segments roll over when full, and compaction releases the ones it passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-walc-'));
    made.push(dir);
    let s = await open(dir);
    for (let i = 1; i <= 60; i++) await s.save({ hardState: { term: 1, vote: 1, commit: i }, entries: [ent(i, 1, 200)], sync: i % 2 === 0 });
    const rolled = s.segments.length;
    expect(rolled).toBeGreaterThan(2);
    await s.createSnapshot(55, undefined, new Uint8Array([5, 5]));
    await s.compact(55);
    expect(s.segments.length).toBeLessThan(rolled);
    expect(segmentFiles(dir)).toEqual(s.segments);
    await s.close();
    s = await open(dir);
    expect([s.firstIndex(), s.lastIndex(), s.snapshot().metadata.index, [...s.snapshot().data]]).toEqual([56, 60, 55, [5, 5]]);
    expect(s.entries(56, 61, Infinity).map((e) => e.data[0])).toEqual([56, 57, 58, 59, 60]);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 60 });
    await s.close();
  });

  test('an installed snapshot releases every older segment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-walc-'));
    made.push(dir);
    let s = await open(dir);
    for (let i = 1; i <= 40; i++) await s.save({ entries: [ent(i, 1, 200)], sync: false });
    const conf = s.snapshot().metadata.confState;
    await s.save({ snapshot: { data: new Uint8Array([9]), metadata: { index: 100, term: 2, confState: conf } }, entries: [ent(101, 2)], sync: true });
    expect(s.segments).toHaveLength(1);
    await s.close();
    s = await open(dir);
    expect([s.firstIndex(), s.lastIndex(), s.term(100), [...s.snapshot().data]]).toEqual([101, 101, 2, [9]]);
    await s.close();
  });
});

describe('WalStorage corruption on open', () => {
  test('a torn last frame above commit is cut, reported, and the cut is durable', async () => {
    const dir = await build();
    const path = join(dir, segmentFiles(dir)[0]!);
    const last = frames(path).at(-1)!;
    flip(path, last + 12);
    const s = await open(dir);
    expect(s.lastIndex()).toBe(5);
    expect(s.recovery).toMatchObject({ at: last, reason: 'checksum mismatch' });
    await s.save({ entries: [ent(6, 2)], sync: true });
    await s.close();
    const again = await open(dir);
    expect(again.recovery).toBeUndefined();
    expect([again.lastIndex(), again.term(6)]).toEqual([6, 2]);
    await again.close();
  });

  test('bytes left after the end marker (a frame torn in its first sector) are cut', async () => {
    const dir = await build();
    const path = join(dir, segmentFiles(dir)[0]!);
    const b = readFileSync(path);
    const end = frames(path).at(-1)! + 64;
    b[end + 100] = 7;
    writeFileSync(path, b);
    const s = await open(dir);
    expect(s.lastIndex()).toBe(6);
    expect(s.recovery?.reason).toMatch(/non-zero bytes/);
    await s.close();
  });

  test('an empty last segment (a crash right after it was put in place) is removed, and writing goes on', async () => {
    const dir = await build();
    writeFileSync(join(dir, '0000000000000001.wal'), Buffer.alloc(SEGMENT));
    const s = await open(dir);
    expect(s.segments).toEqual(['0000000000000000.wal']);
    await s.save({ entries: [ent(7, 1)], sync: true });
    await s.close();
    const again = await open(dir);
    expect(again.lastIndex()).toBe(7);
    await again.close();
  });

  test('a bad frame followed by a valid one is corruption, not a tail', async () => {
    const dir = await build();
    const path = join(dir, segmentFiles(dir)[0]!);
    flip(path, frames(path).at(-2)! + 12);
    const err = await openError(dir);
    expect(err.message).toMatch(/a valid frame follows/);
  });

  test('a log that ends below the persisted commit index is corruption', async () => {
    const dir = await build();
    const path = join(dir, segmentFiles(dir)[0]!);
    // A well-formed frame whose hard state claims a commit beyond the log's end.
    const w = new FrameWriter();
    w.begin();
    w.hardState({ term: 1, vote: 1, commit: 9 });
    const frame = w.finish();
    const b = readFileSync(path);
    const lastAt = frames(path).at(-1)!;
    const end = readFrame(b, lastAt);
    if (typeof end !== 'object') throw new Error('no last frame');
    b.set(frame, end.next);
    writeFileSync(path, b);
    const err = await openError(dir);
    expect(err.message).toMatch(/below commit 9/);
  });

  test('a bad frame in a segment that is not the last is corruption', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-walc-'));
    made.push(dir);
    const s = await open(dir);
    for (let i = 1; i <= 40; i++) await s.save({ entries: [ent(i, 1, 200)], sync: true });
    await s.close();
    const first = join(dir, segmentFiles(dir)[0]!);
    flip(first, frames(first).at(-1)! + 12);
    await openError(dir);
  });

  test('a missing segment in the middle is corruption', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-walc-'));
    made.push(dir);
    const s = await open(dir);
    for (let i = 1; i <= 60; i++) await s.save({ entries: [ent(i, 1, 200)], sync: true });
    await s.close();
    rmSync(join(dir, segmentFiles(dir)[1]!));
    const err = await openError(dir);
    expect(err.message).toMatch(/is missing/);
  });

  test('a damaged snapshot file is corruption', async () => {
    const dir = await build();
    const s = await open(dir);
    await s.createSnapshot(3, undefined, new Uint8Array([1, 2, 3, 4]));
    await s.close();
    const snap = readdirSync(dir).find((f) => f.startsWith('snap-'))!;
    flip(join(dir, snap), 5);
    const err = await openError(dir);
    expect(err.record).toBe('snapshot data');
  });
});
