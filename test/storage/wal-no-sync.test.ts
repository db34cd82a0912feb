/**
 * `WalStorage`'s `noSync` (etcd's `--unsafe-no-fsync`): the log is written without a flush of any
 * kind (no `O_DSYNC` segment, no fdatasync, no directory fsync), and reads back as written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { nodeWalFileSystem, type WalFileMode, type WalFileSystem } from '../../src/storage/wal/wal-fs.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';

/** The node file system, counting the opens by mode and every flush. */
function countingFs(): { fs: WalFileSystem; opened: Map<WalFileMode, number>; flushes: () => number } {
  const opened = new Map<WalFileMode, number>();
  let flushes = 0;
  const fs: WalFileSystem = {
    ...nodeWalFileSystem,
    async open(path, mode) {
      opened.set(mode, (opened.get(mode) ?? 0) + 1);
      const file = await nodeWalFileSystem.open(path, mode);
      return {
        read: () => file.read(),
        write: (data, position) => file.write(data, position),
        datasync() {
          flushes++;
          return file.datasync();
        },
        close: () => file.close(),
      };
    },
    syncDir(dir) {
      flushes++;
      return nodeWalFileSystem.syncDir(dir);
    },
  };
  return { fs, opened, flushes: () => flushes };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (index: number): Entry => ({ index, term: 1, type: EntryType.EntryNormal, data: new Uint8Array(300).fill(index) });

/** Saves 40 entries one synced save at a time into 4 KiB segments (so the log rolls and preallocates), then a snapshot record and a compaction. */
async function writeLog(s: WalStorage): Promise<void> {
  for (let i = 1; i <= 40; i++) await s.save({ hardState: { term: 1, vote: 1, commit: i - 1 }, entries: [entry(i)], sync: true });
  await s.createSnapshot(20, { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, new Uint8Array([7]));
  await s.compact(20);
}

test.each([
  { noSync: false, wantFlushes: true, wantLogOpens: true },
  { noSync: true, wantFlushes: false, wantLogOpens: false },
])('noSync=$noSync: flushes $wantFlushes, O_DSYNC segments $wantLogOpens; the log reads back', async ({ noSync, wantFlushes, wantLogOpens }) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-wal-nosync-'));
  dirs.push(dir);
  const { fs, opened, flushes } = countingFs();
  const s = await WalStorage.open({ dir, segmentSize: 4096, fs, noSync });
  expect(s.noSync).toBe(noSync);
  await writeLog(s);
  await s.close();
  expect(flushes() > 0).toBe(wantFlushes);
  expect((opened.get('log') ?? 0) > 0).toBe(wantLogOpens);
  const again = await WalStorage.open({ dir, segmentSize: 4096, noSync });
  try {
    expect(again.lastIndex()).toBe(40);
    expect(again.firstIndex()).toBe(21);
    expect(again.entries(39, 41, Infinity).map((e) => e.data[0])).toEqual([39, 40]);
  } finally {
    await again.close();
  }
});
