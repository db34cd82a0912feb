/**
 * WalStorage against the disk (issue 12): a synced `save` of one small entry (100 bytes plus
 * the hard state, what one Ready of one proposal writes) through WalStorage, through
 * LevelStorage (classic-level, sync), and raw loops of the same bytes on a preallocated file,
 * interleaved in short rounds of the same run. The raw loop runs three ways: write +
 * fdatasync on the main thread, write + fdatasync on libuv's thread pool, and one pwrite on
 * an O_DSYNC file on the pool (what WalStorage does); the fastest is the floor. Prints
 * saves/s (1 / median save time), p99, and each one's ratio to the floor (target for
 * WalStorage >= 0.70). Then the tail while WalStorage prepares its next segment in the
 * background: synced saves of 2 KiB entries through the preparation of a 16 MiB segment's
 * successor (begun once the log is past half the segment), their longest and p99.9. Last, what
 * the size of the zero-fill's writes does to the log's writes: the O_DSYNC pool loop into a file
 * zero-filled by `preallocate` (64 KiB per write) against one zero-filled a MiB per write,
 * interleaved (on Linux 6.16+ ext4 the second leaves MiB-sized page-cache folios, which every
 * small write then walks; see `ZERO_FILL_WRITE_BYTES`).
 */
import { closeSync, constants, fdatasync, fdatasyncSync, mkdtempSync, openSync, rmSync, write, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry } from '../src/raft/entry.js';
import { LevelStorage } from '../src/storage/level-storage.js';
import type { Storage } from '../src/storage/storage.js';
import { ZERO_FILL_WRITE_BYTES, preallocate } from '../src/storage/wal/files.js';
import { nodeWalFileSystem } from '../src/storage/wal/wal-fs.js';
import { WalStorage } from '../src/storage/wal/wal-storage.js';
import { fmtFixed, fmtInt, Samples } from './util.js';

// Many short rounds, interleaved: on a shared disk the flush time swings within seconds, so
// each subject sees the same conditions only at a fine grain. Figures are per-save medians.
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 60);
const SAVES = Number(process.env['BENCH_SAVES'] ?? 25);
const ENTRY_BYTES = 100;
/** The bytes a WalStorage frame of one such entry and a hard state takes (8 + 22 + 100 + 25, aligned). */
const FRAME_BYTES = 160;

function entry(index: number, bytes: number): Entry {
  return { index, term: 1, type: EntryType.EntryNormal, data: new Uint8Array(bytes).fill(index & 0xff) };
}

/** `saves` synced saves of one `bytes`-byte entry each (with the hard state), appended to `s`'s log, timed into `times`. */
async function roundStorage(s: Storage, times: Samples, saves = SAVES, bytes = ENTRY_BYTES): Promise<void> {
  let next = s.lastIndex() + 1;
  for (let k = 0; k < saves; k++, next++) {
    const t = performance.now();
    await s.save({ hardState: { term: 1, vote: 1, commit: next - 1 }, entries: [entry(next, bytes)], sync: true });
    times.push(performance.now() - t);
  }
}

type RawMode = 'inline' | 'pool' | 'dsync' | 'dsync-inline';

/** The floor: write the same number of bytes in place and flush them (see {@link RawMode}). */
async function roundRaw(fd: number, from: number, mode: RawMode, times: Samples): Promise<void> {
  const buf = Buffer.alloc(FRAME_BYTES, 7);
  for (let k = 0; k < SAVES; k++) {
    const at = (from + k) * FRAME_BYTES;
    const t = performance.now();
    if (mode === 'dsync-inline') {
      writeSync(fd, buf, 0, buf.length, at);
    } else if (mode === 'dsync') {
      await new Promise<void>((resolve, reject) => write(fd, buf, 0, buf.length, at, (err) => (err === null ? resolve() : reject(err))));
    } else {
      writeSync(fd, buf, 0, buf.length, at);
      if (mode === 'pool') await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err === null ? resolve() : reject(err))));
      else fdatasyncSync(fd);
    }
    times.push(performance.now() - t);
  }
}

/** The entries' size and the segment size of the run across a segment's preparation. */
const SPARE_ENTRY_BYTES = 2048;
const SPARE_SEGMENT_BYTES = 16 << 20;

/** Synced saves, one 2 KiB entry each, from an empty log to 0.9 of its first segment: the next one is prepared from half on. */
async function acrossPreparation(dir: string): Promise<Samples> {
  const s = await WalStorage.open({ dir, segmentSize: SPARE_SEGMENT_BYTES });
  const times = new Samples();
  try {
    await roundStorage(s, times, Math.ceil((0.9 * SPARE_SEGMENT_BYTES) / (SPARE_ENTRY_BYTES + 64)) - 1, SPARE_ENTRY_BYTES);
  } finally {
    await s.close();
  }
  return times;
}

/** A `size`-byte file of zeros written a MiB per write, flushed: the zero-fill before `ZERO_FILL_WRITE_BYTES`. */
function zeroFillByMiB(path: string, size: number): void {
  const fd = openSync(path, 'w');
  const zeros = Buffer.alloc(1 << 20);
  for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at);
  fdatasyncSync(fd);
  closeSync(fd);
}

/** The O_DSYNC pool loop into a file zero-filled by `preallocate` and into one zero-filled a MiB per write, interleaved. */
async function zeroFillSizes(base: string): Promise<{ small: Samples; mib: Samples }> {
  const size = 16 << 20;
  await preallocate(nodeWalFileSystem, join(base, 'fill-small'), size);
  zeroFillByMiB(join(base, 'fill-mib'), size);
  const small = openSync(join(base, 'fill-small'), constants.O_RDWR | constants.O_DSYNC);
  const mib = openSync(join(base, 'fill-mib'), constants.O_RDWR | constants.O_DSYNC);
  const out = { small: new Samples(), mib: new Samples() };
  for (let r = 0, next = 0; r < ROUNDS; r++, next += SAVES) {
    await roundRaw(small, next, 'dsync', out.small);
    await roundRaw(mib, next, 'dsync', out.mib);
  }
  closeSync(small);
  closeSync(mib);
  return out;
}

/** The one-line explanation printed above the table. */
export const about =
  'a synced save of one small entry through WalStorage and LevelStorage against raw preallocated-file write+flush loops on the same disk, interleaved; target: WalStorage >= 0.70 of the fastest raw loop';

/** Runs the benchmark and prints the figures. */
export async function run(): Promise<unknown> {
  const base = mkdtempSync(join(tmpdir(), 'raftkit-bench-wal-'));
  try {
    const rawPath = join(base, 'raw');
    await preallocate(nodeWalFileSystem, rawPath, 64 << 20);
    const fd = openSync(rawPath, 'r+');
    const fdDsync = openSync(rawPath, constants.O_RDWR | constants.O_DSYNC);
    const subjects: { name: string; s: Storage; times: Samples }[] = [
      { name: 'WalStorage', s: await WalStorage.open({ dir: join(base, 'wal') }), times: new Samples() },
      { name: 'LevelStorage', s: await LevelStorage.open({ path: join(base, 'level') }), times: new Samples() },
    ];
    const raws: { name: string; fd: number; mode: RawMode; times: Samples }[] = [
      { name: 'raw write+fdatasync, inline', fd, mode: 'inline', times: new Samples() },
      { name: 'raw write+fdatasync, pool', fd, mode: 'pool', times: new Samples() },
      { name: 'raw pwrite O_DSYNC, pool', fd: fdDsync, mode: 'dsync', times: new Samples() },
      { name: 'raw pwrite O_DSYNC, inline', fd: fdDsync, mode: 'dsync-inline', times: new Samples() },
    ];
    let rawNext = 0;
    for (const x of subjects) await roundStorage(x.s, new Samples()); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const x of raws) {
        await roundRaw(x.fd, rawNext, x.mode, x.times);
        rawNext += SAVES;
      }
      for (const x of subjects) await roundStorage(x.s, x.times);
    }
    closeSync(fd);
    closeSync(fdDsync);
    for (const x of subjects) await x.s.close();
    const rate = (x: { times: Samples }): number => 1000 / x.times.percentile(50);
    const w = Math.max(...raws.map(rate));
    console.log(`storage: synced save of one ${ENTRY_BYTES}-byte entry + hard state, ${ROUNDS} interleaved rounds x ${SAVES}; 1/median save time, ratio to the fastest raw loop`);
    const line = (name: string, x: { times: Samples }, target: string): void =>
      console.log(`  ${name.padEnd(32)}${fmtInt(rate(x), 8)} /s   p99 ${fmtFixed(x.times.percentile(99), 2, 6)} ms   ratio ${fmtFixed(rate(x) / w, 2)}${target}`);
    for (const x of raws) line(x.name, x, '');
    for (const x of subjects) line(x.name, x, x.name.startsWith('Wal') ? '  (target >= 0.70)' : '');
    const across = await acrossPreparation(join(base, 'wal-spare'));
    const longest = across.percentile(100);
    console.log(`  WalStorage, ${String(SPARE_ENTRY_BYTES)}-byte entries from an empty log through the preparation of the next ${String(SPARE_SEGMENT_BYTES >> 20)} MiB segment: ${fmtInt(across.length, 0)} saves, p99.9 ${fmtFixed(across.percentile(99.9), 2, 0)} ms, longest ${fmtFixed(longest, 1, 0)} ms`);
    const fills = await zeroFillSizes(base);
    const [small, mib] = [rate({ times: fills.small }), rate({ times: fills.mib })];
    console.log(`  raw pwrite O_DSYNC, pool, into a segment zero-filled ${String(ZERO_FILL_WRITE_BYTES >> 10)} KiB per write (preallocate): ${fmtInt(small, 0)} /s (p99 ${fmtFixed(fills.small.percentile(99), 2, 0)} ms); a MiB per write: ${fmtInt(mib, 0)} /s (p99 ${fmtFixed(fills.mib.percentile(99), 2, 0)} ms); ratio ${fmtFixed(small / mib, 2)}`);
    const figures = Object.fromEntries([...raws, ...subjects].map((x) => [x.name, { perSecond: rate(x), p99Ms: x.times.percentile(99) }]));
    return { ...figures, acrossPreparation: { saves: across.length, p999Ms: across.percentile(99.9), longestMs: longest }, zeroFill: { smallPerSecond: small, mibPerSecond: mib } };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
