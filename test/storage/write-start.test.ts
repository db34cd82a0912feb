/**
 * A storage write with none queued or running starts in the caller's turn: a leader's log
 * write reaches the disk before the appends it sends are flushed to the peers' sockets (a
 * transport flushes in a microtask). Writes still run one at a time, in call order.
 */
import { expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { PowerLossFs } from './power-loss-fs.js';

// Small segments: the in-memory file system zero-fills each one, and 64 MiB costs seconds.
const SEGMENT = 64 * 1024;

const entry = (index: number): Entry => ({ index, term: 1, type: EntryType.EntryNormal, data: new Uint8Array([index]) });

test('a synced save with no write in flight reaches the file in the caller\'s turn; the next waits for it', async () => {
  // Every file's write, as the storage calls it (the file system's own work may come later).
  const fs = new PowerLossFs();
  const wrote: number[] = [];
  const open = fs.open.bind(fs);
  fs.open = async (path, mode) => {
    const f = await open(path, mode);
    const write = f.write.bind(f);
    f.write = (data: Uint8Array, position: number): Promise<void> => {
      wrote.push(data.length);
      return write(data, position);
    };
    return f;
  };
  const s = await WalStorage.open({ dir: '/wal', voters: [1], fs, segmentSize: SEGMENT });
  wrote.length = 0;
  const first = s.save({ entries: [entry(1)], hardState: { term: 1, vote: 1, commit: 0 }, snapshot: undefined, sync: true });
  expect(wrote).toHaveLength(1); // before any microtask ran
  const second = s.save({ entries: [entry(2)], hardState: undefined, snapshot: undefined, sync: true });
  expect(wrote).toHaveLength(1); // queued behind the first
  await Promise.all([first, second]);
  expect(wrote).toHaveLength(2);
  expect(s.lastIndex()).toBe(2);
  const third = s.save({ entries: [entry(3)], hardState: undefined, snapshot: undefined, sync: true });
  expect(wrote).toHaveLength(3); // idle again: at once
  await third;
  await s.close();
});

test('a write that throws at once still fails only its own call, and the next one runs', async () => {
  const s = await WalStorage.open({ dir: '/wal', voters: [1], fs: new PowerLossFs(), segmentSize: SEGMENT });
  await expect(s.save({ entries: [entry(5)], hardState: undefined, snapshot: undefined, sync: true })).rejects.toThrow(/missing log entries/);
  await s.save({ entries: [entry(1)], hardState: undefined, snapshot: undefined, sync: true });
  expect(s.lastIndex()).toBe(1);
  await s.close();
});
