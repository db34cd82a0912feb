/**
 * Preparing a segment must not hand the disk a whole segment's writes in one flush: the next
 * segment is prepared while the log is written, and the log's `O_DSYNC` writes would queue
 * behind that flush. `preallocate` flushes every MiB as it writes it.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { PREALLOCATE_FLUSH_BYTES, ZERO_FILL_WRITE_BYTES, preallocate } from '../../src/storage/wal/files.js';
import { nodeWalFileSystem, type WalFile, type WalFileMode, type WalFileSystem } from '../../src/storage/wal/wal-fs.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';

/** One operation on a file, as the recording file system saw it. */
type FileOp = { op: 'write'; at: number; bytes: Uint8Array } | { op: 'datasync' } | { op: 'close' };

/** The node file system, recording every operation on each file opened in `'create'` mode, by file name. */
function recordingFs(): { fs: WalFileSystem; created: Map<string, FileOp[]> } {
  const created = new Map<string, FileOp[]>();
  const fs: WalFileSystem = {
    ...nodeWalFileSystem,
    async open(path: string, mode: WalFileMode): Promise<WalFile> {
      const file = await nodeWalFileSystem.open(path, mode);
      if (mode !== 'create') return file;
      const ops: FileOp[] = [];
      created.set(basename(path), ops);
      return {
        read: () => file.read(),
        async write(data, position) {
          ops.push({ op: 'write', at: position, bytes: data.slice() });
          await file.write(data, position);
        },
        async datasync() {
          ops.push({ op: 'datasync' });
          await file.datasync();
        },
        async close() {
          ops.push({ op: 'close' });
          await file.close();
        },
      };
    },
  };
  return { fs, created };
}

/** The bytes the writes of `ops` carry. */
function written(ops: readonly FileOp[]): number {
  let n = 0;
  for (const o of ops) if (o.op === 'write') n += o.bytes.length;
  return n;
}

/** The most bytes written by one write. */
function largestWrite(ops: readonly FileOp[]): number {
  let most = 0;
  for (const o of ops) if (o.op === 'write') most = Math.max(most, o.bytes.length);
  return most;
}

/** The most bytes written between two flushes (or before the first). */
function largestUnflushed(ops: readonly FileOp[]): number {
  let most = 0;
  let open = 0;
  for (const o of ops) {
    if (o.op === 'write') most = Math.max(most, (open += o.bytes.length));
    else if (o.op === 'datasync') open = 0;
  }
  return most;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'raftkit-prealloc-'));
  dirs.push(d);
  return d;
}

test('preallocate writes zeros over the whole file in writes of at most 64 KiB, flushing each MiB as it goes and the last bytes before closing', async () => {
  const dir = tempDir();
  const { fs, created } = recordingFs();
  const size = 3 * PREALLOCATE_FLUSH_BYTES + 12_288;
  await preallocate(fs, join(dir, 'seg.tmp'), size);

  const ops = created.get('seg.tmp')!;
  expect(statSync(join(dir, 'seg.tmp')).size).toBe(size);
  const covered = new Uint8Array(size);
  for (const o of ops) {
    if (o.op !== 'write') continue;
    expect(o.bytes.every((b) => b === 0)).toBe(true);
    covered.fill(1, o.at, o.at + o.bytes.length);
  }
  expect(covered.every((b) => b === 1)).toBe(true);
  // Small writes leave the file in small page-cache folios, which the log's small writes need (see ZERO_FILL_WRITE_BYTES).
  expect(ZERO_FILL_WRITE_BYTES).toBe(64 * 1024);
  expect(largestWrite(ops)).toBe(ZERO_FILL_WRITE_BYTES);
  expect(largestUnflushed(ops)).toBeLessThanOrEqual(PREALLOCATE_FLUSH_BYTES);
  expect(ops.filter((o) => o.op === 'datasync')).toHaveLength(4);
  expect(ops.slice(-2).map((o) => o.op)).toEqual(['datasync', 'close']);
});

test("WalStorage prepares its next segment in the background a MiB per flush, while the log's writes go on", async () => {
  const dir = tempDir();
  const { fs, created } = recordingFs();
  const segmentSize = 4 * PREALLOCATE_FLUSH_BYTES;
  const s = await WalStorage.open({ dir, segmentSize, fs });
  let last: number | undefined;
  try {
    const data = new Uint8Array(8192).fill(7);
    let index = 1;
    // Past half the first segment the next one is prepared; past its end the log rolls over to it
    // (and stops short of half the second, where the one after would be prepared).
    while (index * data.length < 1.25 * segmentSize) {
      const entries: Entry[] = Array.from({ length: 16 }, () => ({ index: index++, term: 1, type: EntryType.EntryNormal, data }));
      await s.save({ hardState: { term: 1, vote: 0, commit: 0 }, entries, sync: true });
    }
    const spare = created.get('spare.tmp');
    expect(spare, 'the next segment was prepared as spare.tmp').toBeDefined();
    expect(written(spare!)).toBe(segmentSize);
    expect(largestUnflushed(spare!)).toBeLessThanOrEqual(PREALLOCATE_FLUSH_BYTES);
    expect(largestWrite(spare!)).toBeLessThanOrEqual(ZERO_FILL_WRITE_BYTES);
    expect(spare!.at(-2)?.op).toBe('datasync');
    last = index - 1;
    expect(s.lastIndex()).toBe(last);
    expect(readdirSync(dir).filter((n) => n.endsWith('.wal')), 'the log rolled over to the prepared segment').toHaveLength(2);
  } finally {
    await s.close();
  }
  const reopened = await WalStorage.open({ dir, segmentSize });
  try {
    expect(reopened.lastIndex()).toBe(last);
  } finally {
    await reopened.close();
  }
});
