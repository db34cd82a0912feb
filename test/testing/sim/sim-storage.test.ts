import { expect, test } from 'vitest';
import { EntryType, type Entry } from '../../../src/raft/entry.js';
import { SeededRng } from '../../../src/raft/rng.js';
import { ManualClock } from '../../../src/testing/sim/manual-clock.js';
import { SimDisk } from '../../../src/testing/sim/sim-storage.js';

const ent = (index: number, term = 1): Entry => ({ index, term, type: EntryType.EntryNormal, data: new Uint8Array([index]) });

function setup(): { clock: ManualClock; disk: SimDisk } {
  return { clock: new ManualClock(), disk: new SimDisk(new SeededRng(1)) };
}

test('what a sync save acknowledged survives a crash', () => {
  const { clock, disk } = setup();
  const s = disk.open(clock);
  void s.save({ entries: [ent(1), ent(2)], hardState: { term: 1, vote: 1, commit: 0 }, sync: true });
  disk.crash();
  const after = disk.open(clock);
  expect(after.lastIndex()).toBe(2);
  expect(after.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 0 });
});

test('an unsynced save may be lost: its entries and hard state are gone after a crash', () => {
  const { clock, disk } = setup();
  const s = disk.open(clock);
  void s.save({ entries: [ent(1)], hardState: { term: 1, vote: 1, commit: 0 }, sync: true });
  void s.save({ entries: [], hardState: { term: 1, vote: 1, commit: 1 }, sync: false });
  void s.save({ entries: [ent(2)], sync: false });
  expect(s.lastIndex()).toBe(2);
  expect(disk.unsyncedWrites).toBe(2);
  disk.crash();
  const after = disk.open(clock);
  expect(after.lastIndex()).toBe(1);
  expect(after.initialState().hardState.commit).toBe(0);
  expect(disk.stats()).toMatchObject({ crashes: 1, lostWrites: 2, unsyncedSaves: 2 });
});

test('a crash may keep a prefix of the unsynced writes, never a later one without the earlier', () => {
  const { clock, disk } = setup();
  const s = disk.open(clock);
  void s.save({ entries: [ent(1)], sync: false });
  void s.save({ entries: [ent(2)], sync: false });
  void s.save({ entries: [ent(3)], sync: false });
  disk.crash(2);
  expect(disk.open(clock).lastIndex()).toBe(2);
  expect(disk.stats().lostWrites).toBe(1);
});

test('a sync save makes every earlier write durable too (an fsync of the log)', () => {
  const { clock, disk } = setup();
  const s = disk.open(clock);
  void s.save({ entries: [ent(1)], hardState: { term: 1, vote: 0, commit: 1 }, sync: false });
  void s.save({ entries: [ent(2)], sync: true });
  disk.crash();
  const after = disk.open(clock);
  expect(after.lastIndex()).toBe(2);
  expect(after.initialState().hardState.commit).toBe(1);
});

test('snapshots and compaction are durable, and a crash replays them', () => {
  const { clock, disk } = setup();
  const s = disk.open(clock);
  void s.save({ entries: [ent(1), ent(2), ent(3)], sync: true });
  void s.createSnapshot(2, undefined, new Uint8Array([9]));
  void s.compact(2);
  void s.save({ entries: [ent(4)], sync: false });
  disk.crash();
  const after = disk.open(clock);
  expect(after.firstIndex()).toBe(3);
  expect(after.lastIndex()).toBe(3);
  expect(after.snapshot().metadata.index).toBe(2);
});

test('a slow disk completes writes after its latency; a crash meanwhile loses them and fences the handle', async () => {
  const { clock, disk } = setup();
  disk.latencyMs = 5;
  const s = disk.open(clock);
  let done = false;
  const p = s.save({ entries: [ent(1)], sync: true });
  expect(p).toBeInstanceOf(Promise);
  void (p as Promise<void>).then(() => (done = true));
  expect(s.lastIndex()).toBe(0); // not visible before it completes
  while (clock.step(5));
  await Promise.resolve();
  expect(done).toBe(true);
  expect(s.lastIndex()).toBe(1);
  expect(disk.stats().slowWrites).toBe(1);

  let late = false;
  void (s.save({ entries: [ent(2)], sync: true }) as Promise<void>).then(() => (late = true));
  disk.crash();
  while (clock.step(100));
  await Promise.resolve();
  expect(late).toBe(false);
  expect(disk.stats().abortedWrites).toBe(1);
  // The old handle is fenced: its writes never complete and never reach the disk.
  void s.save({ entries: [ent(2)], sync: true });
  while (clock.step(200));
  expect(disk.open(clock).lastIndex()).toBe(1);
});
