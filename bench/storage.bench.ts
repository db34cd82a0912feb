/**
 * LevelStorage `save` throughput against raw classic-level, both with fsync, on the same disk
 * (a temp dir): 64-entry batches of 100-byte entries. Prints entries/s and batches/s (medians
 * of several rounds) and the ratio ours/raw (target ≥ 0.8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { encodeEntry } from '../src/codec/message.js';
import { EntryType, type Entry } from '../src/raft/entry.js';
import { logKey } from '../src/storage/keys.js';
import { LevelStorage } from '../src/storage/level-storage.js';
import { seal } from '../src/storage/records.js';
import { fmtFixed, fmtInt, median } from './util.js';

const BATCH = 64;
const ENTRY_BYTES = 100;
const ROUNDS = 5;
const BATCHES_PER_ROUND = 200;

function batchAt(first: number): Entry[] {
  return Array.from({ length: BATCH }, (_, k) => ({
    index: first + k,
    term: 1,
    type: EntryType.EntryNormal,
    data: new Uint8Array(ENTRY_BYTES).fill((first + k) & 0xff),
  }));
}

/** One round of `save` through LevelStorage; returns batches per second. */
async function roundOurs(s: LevelStorage): Promise<number> {
  let next = s.lastIndex() + 1;
  const start = performance.now();
  for (let b = 0; b < BATCHES_PER_ROUND; b++) {
    await s.save({ hardState: { term: 1, vote: 1, commit: next - 1 }, entries: batchAt(next), sync: true });
    next += BATCH;
  }
  return (BATCHES_PER_ROUND * 1000) / (performance.now() - start);
}

/** One round of raw batches of the same keys and bytes (sealed entry records plus a hard state). */
async function roundRaw(db: ClassicLevel<Uint8Array, Uint8Array>, from: number): Promise<number> {
  const log = db.sublevel<Uint8Array, Uint8Array>('log', { keyEncoding: 'view', valueEncoding: 'view' });
  const meta = db.sublevel<Uint8Array, Uint8Array>('meta', { keyEncoding: 'view', valueEncoding: 'view' });
  const hsKey = new TextEncoder().encode('hard-state');
  // The bytes are prepared before the clock starts: raw pays for nothing but the write.
  const batches = Array.from({ length: BATCHES_PER_ROUND }, (_, b) => {
    const ops = batchAt(from + b * BATCH).map((e) => ({ type: 'put' as const, sublevel: log, key: logKey(e.index), value: seal(encodeEntry(e)) }));
    return [...ops, { type: 'put' as const, sublevel: meta, key: hsKey, value: new Uint8Array(16) }];
  });
  const start = performance.now();
  for (const ops of batches) await db.batch(ops, { sync: true });
  return (BATCHES_PER_ROUND * 1000) / (performance.now() - start);
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about = 'LevelStorage.save with fsync against a raw classic-level batch({ sync: true }) of the same entries (the disk\'s floor); target: ≥ 0.80 of the raw rate';

/** Runs the benchmark, prints the figures and returns them. */
export async function run(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(join(tmpdir(), 'raftkit-bench-storage-'));
  try {
    const ours = await LevelStorage.open({ path: join(base, 'ours') });
    const raw = new ClassicLevel<Uint8Array, Uint8Array>(join(base, 'raw'), { keyEncoding: 'view', valueEncoding: 'view' });
    await raw.open();
    const oursRates: number[] = [];
    const rawRates: number[] = [];
    await roundOurs(ours); // warm-up
    await roundRaw(raw, 1);
    let rawNext = 1 + BATCH * BATCHES_PER_ROUND;
    // Interleave rounds so that both see the same disk conditions.
    for (let r = 0; r < ROUNDS; r++) {
      oursRates.push(await roundOurs(ours));
      rawRates.push(await roundRaw(raw, rawNext));
      rawNext += BATCH * BATCHES_PER_ROUND;
    }
    await ours.close();
    await raw.close();
    const o = median(oursRates);
    const w = median(rawRates);
    console.log(`storage: save of ${BATCH} x ${ENTRY_BYTES}-byte entries with fsync, classic-level, median of ${ROUNDS} rounds x ${BATCHES_PER_ROUND} batches`);
    console.log(`  LevelStorage.save      ${fmtInt(o, 8)} batches/s  ${fmtInt(o * BATCH, 10)} entries/s`);
    console.log(`  raw batch(sync: true)  ${fmtInt(w, 8)} batches/s  ${fmtInt(w * BATCH, 10)} entries/s`);
    console.log(`  ratio ours/raw         ${fmtFixed(o / w, 2, 8)}   (target >= 0.80)`);
    return { levelStorageBatchesPerSec: o, rawBatchesPerSec: w, entriesPerBatch: BATCH, ratio: o / w, target: '>= 0.80' };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
