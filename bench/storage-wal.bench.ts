/**
 * WalStorage against the disk (issue 12): a synced `save` of one small entry (100 bytes plus
 * the hard state, what one Ready of one proposal writes) through WalStorage (fdatasync on the
 * thread pool, and inline), through LevelStorage (classic-level, sync), and a raw loop of
 * `write` + `fdatasync` of the same bytes on a preallocated file, in interleaved rounds of
 * the same run. The raw loop runs twice: fdatasync on the main thread, and on libuv's thread
 * pool (on a loaded machine the latter is often faster); the faster is the floor. Prints
 * saves/s (medians) and each one's ratio to that floor (target for WalStorage >= 0.70).
 */
import { closeSync, fdatasync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry } from '../src/raft/entry.js';
import { LevelStorage } from '../src/storage/level-storage.js';
import type { Storage } from '../src/storage/storage.js';
import { preallocate } from '../src/storage/wal/files.js';
import { WalStorage } from '../src/storage/wal/wal-storage.js';
import { fmtFixed, fmtInt, median } from './util.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const SAVES = Number(process.env['BENCH_SAVES'] ?? 400);
const ENTRY_BYTES = 100;
/** The bytes a WalStorage frame of one such entry and a hard state takes (8 + 22 + 100 + 25, aligned). */
const FRAME_BYTES = 160;

function entry(index: number): Entry {
  return { index, term: 1, type: EntryType.EntryNormal, data: new Uint8Array(ENTRY_BYTES).fill(index & 0xff) };
}

async function roundStorage(s: Storage): Promise<number> {
  let next = s.lastIndex() + 1;
  const start = performance.now();
  for (let k = 0; k < SAVES; k++, next++) {
    await s.save({ hardState: { term: 1, vote: 1, commit: next - 1 }, entries: [entry(next)], sync: true });
  }
  return (SAVES * 1000) / (performance.now() - start);
}

/** The floor: write the same number of bytes in place and fdatasync (on the main thread, or on the pool). */
async function roundRaw(fd: number, from: number, pool: boolean): Promise<number> {
  const buf = Buffer.alloc(FRAME_BYTES, 7);
  const start = performance.now();
  for (let k = 0; k < SAVES; k++) {
    writeSync(fd, buf, 0, buf.length, (from + k) * FRAME_BYTES);
    if (pool) await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err === null ? resolve() : reject(err))));
    else fdatasyncSync(fd);
  }
  return (SAVES * 1000) / (performance.now() - start);
}

/** Runs the benchmark and prints the figures. */
export async function run(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'raftkit-bench-wal-'));
  try {
    const rawPath = join(base, 'raw');
    await preallocate(rawPath, 64 << 20);
    const fd = openSync(rawPath, 'r+');
    const subjects: { name: string; s: Storage; rates: number[] }[] = [
      { name: 'WalStorage (thread pool)', s: await WalStorage.open({ dir: join(base, 'wal') }), rates: [] },
      { name: 'WalStorage (inlineSync)', s: await WalStorage.open({ dir: join(base, 'wal-inline'), inlineSync: true }), rates: [] },
      { name: 'LevelStorage', s: await LevelStorage.open({ path: join(base, 'level') }), rates: [] },
    ];
    const rawInline: number[] = [];
    const rawPool: number[] = [];
    let rawNext = 0;
    for (const x of subjects) await roundStorage(x.s); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      rawInline.push(await roundRaw(fd, rawNext, false));
      rawPool.push(await roundRaw(fd, rawNext + SAVES, true));
      rawNext += 2 * SAVES;
      for (const x of subjects) x.rates.push(await roundStorage(x.s));
    }
    closeSync(fd);
    for (const x of subjects) await x.s.close();
    const w = Math.max(median(rawInline), median(rawPool));
    console.log(`storage: synced save of one ${ENTRY_BYTES}-byte entry + hard state, median of ${ROUNDS} interleaved rounds x ${SAVES}; ratio to the faster raw loop`);
    console.log(`  ${'raw write+fdatasync, inline'.padEnd(32)}${fmtInt(median(rawInline), 8)} /s   ratio ${fmtFixed(median(rawInline) / w, 2)}`);
    console.log(`  ${'raw write+fdatasync, pool'.padEnd(32)}${fmtInt(median(rawPool), 8)} /s   ratio ${fmtFixed(median(rawPool) / w, 2)}`);
    for (const x of subjects) {
      const m = median(x.rates);
      console.log(`  ${x.name.padEnd(32)}${fmtInt(m, 8)} /s   ratio ${fmtFixed(m / w, 2)}${x.name.startsWith('Wal') ? '  (target >= 0.70)' : ''}`);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
