import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { EntryType } from '../../src/raft/entry.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { decodeSnapshotRef, encodeSnapshotRef, supportsSnapshotStaging } from '../../src/storage/snapshot-ref.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';

const newDb = (): MemoryLevel<Uint8Array, Uint8Array> => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
const chunks = (n: number, size: number): Uint8Array[] => Array.from({ length: n }, (_, i) => new Uint8Array(size).fill(i + 1));
const join = async (it: AsyncIterable<Uint8Array>): Promise<number[]> => {
  const out: number[] = [];
  for await (const c of it) out.push(...c);
  return out;
};
const confState = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

test('LevelStorage stages a received snapshot, installs it by reference, and serves it by reference and in chunks after a reopen', async () => {
  const db = newDb();
  const s = await LevelStorage.open({ db, voters: [1], snapshotChunkSize: 3 });
  expect(supportsSnapshotStaging(s)).toBe(true);
  expect(supportsSnapshotStaging(new MemoryStorage())).toBe(false);
  const ref = await s.stageSnapshot({ index: 50, term: 4 }, chunks(3, 4));
  expect(decodeSnapshotRef(ref)).toEqual({ index: 50, term: 4, byteLength: 12 });
  // Not current until saved.
  expect(s.snapshotRef().metadata.index).toBe(0);
  await s.save({ snapshot: { data: ref, metadata: { index: 50, term: 4, confState } }, entries: [], sync: true });
  expect(s.snapshotRef().metadata).toEqual({ index: 50, term: 4, confState });
  expect(decodeSnapshotRef(s.snapshotRef().data)?.byteLength).toBe(12);
  expect(await join(s.readSnapshotChunks(50))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  await s.close();
  const again = await LevelStorage.open({ db });
  expect(again.snapshot().data).toEqual(new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]));
  expect(again.firstIndex()).toBe(51);
  await again.close();
});

test('LevelStorage: a local snapshot staged from chunks becomes current by reference; a reference to nothing staged is refused', async () => {
  const s = await LevelStorage.open({ db: newDb(), voters: [1] });
  const entries = Array.from({ length: 5 }, (_, i) => ({ index: i + 1, term: 1, type: EntryType.EntryNormal, data: new Uint8Array(0) }));
  await s.save({ entries, sync: true });
  const ref = await s.stageSnapshot({ index: 4, term: 1 }, chunks(2, 2));
  await s.createSnapshot(4, undefined, ref);
  expect(await join(s.readSnapshotChunks(4))).toEqual([1, 1, 2, 2]);
  await s.stageSnapshot({ index: 5, term: 1 }, chunks(1, 1));
  await expect(s.createSnapshot(5, undefined, encodeSnapshotRef({ index: 5, term: 1, byteLength: 7 }))).rejects.toThrow(/not staged/);
  await expect(s.stageSnapshot({ index: 3, term: 1 }, [])).rejects.toMatchObject({ code: 'ERR_SNAP_OUT_OF_DATE' });
  await s.close();
});

test('WalStorage stages snapshots from chunks beside the log and makes them current by reference, for createSnapshot and save', async () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'raftkit-wal-stage-'));
  try {
    const s = await WalStorage.open({ dir, voters: [1] });
    expect(supportsSnapshotStaging(s)).toBe(true);
    const entries = Array.from({ length: 6 }, (_, i) => ({ index: i + 1, term: 1, type: EntryType.EntryNormal, data: new Uint8Array(0) }));
    await s.save({ entries, sync: true });
    // A local snapshot: staged, then current by reference; its data is then read back from its file.
    const ref = await s.stageSnapshot({ index: 4, term: 1 }, chunks(3, 4));
    expect(decodeSnapshotRef(ref)).toEqual({ index: 4, term: 1, byteLength: 12 });
    expect(s.snapshotRef().metadata.index).toBe(0);
    await s.createSnapshot(4, undefined, ref);
    expect(decodeSnapshotRef(s.snapshotRef().data)).toEqual({ index: 4, term: 1, byteLength: 12 });
    expect(await join(s.readSnapshotChunks(4))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(() => s.snapshot()).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_TEMPORARILY_UNAVAILABLE' }) as Error);
    await expect.poll(() => { try { return Array.from(s.snapshot().data); } catch { return []; } }).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    // A newer snapshot staged meanwhile survives the older one becoming current.
    const newer = await s.stageSnapshot({ index: 50, term: 4 }, chunks(2, 1));
    await s.compact(3);
    await expect(s.createSnapshot(5, undefined, encodeSnapshotRef({ index: 5, term: 1, byteLength: 7 }))).rejects.toThrow(/not staged/);
    await expect(s.stageSnapshot({ index: 4, term: 1 }, [])).rejects.toMatchObject({ code: 'ERR_SNAP_OUT_OF_DATE' });
    // A snapshot received from the leader: installed by reference with `save`.
    await s.save({ snapshot: { data: newer, metadata: { index: 50, term: 4, confState } }, entries: [], sync: true });
    expect(s.snapshotRef().metadata).toEqual({ index: 50, term: 4, confState });
    expect(s.firstIndex()).toBe(51);
    expect(await join(s.readSnapshotChunks(50))).toEqual([1, 2]);
    await s.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('snap-'))).toEqual([`snap-${(50).toString(16).padStart(16, '0')}`]);
    const again = await WalStorage.open({ dir });
    expect(Array.from(again.snapshot().data)).toEqual([1, 2]);
    expect(again.snapshot().metadata).toEqual({ index: 50, term: 4, confState });
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WalStorage: a staged snapshot never made current is gone after a reopen', async () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'raftkit-wal-stage-'));
  try {
    const s = await WalStorage.open({ dir, voters: [1] });
    await s.stageSnapshot({ index: 9, term: 2 }, chunks(2, 2));
    await s.close();
    const again = await WalStorage.open({ dir });
    expect(readdirSync(dir).filter((f) => f.startsWith('snap-'))).toEqual([]);
    expect(again.snapshotRef().metadata.index).toBe(0);
    await expect(again.save({ snapshot: { data: encodeSnapshotRef({ index: 9, term: 2, byteLength: 4 }), metadata: { index: 9, term: 2, confState } }, entries: [], sync: true })).rejects.toThrow(/not staged/);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
