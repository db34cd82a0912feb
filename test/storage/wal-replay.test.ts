import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { applyOp, crashEntry, describeModel, nextCrashOp, observeModel } from './crash-model.js';

const base = mkdtempSync(join(tmpdir(), 'raftkit-walr-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

// Small segments: the histories roll over many times, overwrite across segment boundaries and
// release segments, and every reopen replays what is left.
test.each([1, 2, 3, 4])('reopening after every write gives back the same log (seed %i)', async (seed) => {
  const dir = join(base, String(seed));
  const rng = new SeededRng(seed);
  let s = await WalStorage.open({ dir, segmentSize: 8192 });
  let model = observeModel(s);
  for (let step = 0; step < 150; step++) {
    const op = nextCrashOp(s, rng);
    if (op.kind === 'save') {
      await s.save({ hardState: op.hardState, entries: Array.from({ length: op.n }, (_, k) => crashEntry(op.start + k, op.term)), sync: step % 3 === 0 });
    } else if (op.kind === 'snap') {
      await s.createSnapshot(op.index, undefined, new Uint8Array(300).fill(op.index & 0xff));
    } else {
      await s.compact(op.index);
    }
    model = applyOp(model, op);
    await s.close();
    s = await WalStorage.open({ dir, segmentSize: 8192 });
    expect(describeModel(observeModel(s)), `step ${step}`).toBe(describeModel(model));
  }
  // No segment file is leaked: the directory holds exactly the segments the storage keeps.
  expect(readdirSync(dir).filter((f) => f.endsWith('.wal')).sort()).toEqual([...s.segments]);
  await s.close();
});
