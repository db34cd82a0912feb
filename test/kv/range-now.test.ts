import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { range, rangeNow } from '../../src/kv/mvcc/range.js';
import type { ReadView } from '../../src/kv/mvcc/store.js';
import { SortOrder, SortTarget, type RangeRequest } from '../../src/kv/types.js';
import { SeededRng } from '../../src/raft/rng.js';
import { enc } from './helpers.js';

// rangeNow answers a range at once when every value it returns is in memory (pending or cached),
// and must then answer exactly what range answers; otherwise it answers undefined.

const KEYS = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);

/** A state machine over memory-level with `cacheBytes` of value cache, after `steps` seeded puts and deletes. */
async function seededMachine(seed: number, cacheBytes: number, steps: number): Promise<KvStateMachine> {
  const rng = new SeededRng(seed);
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  const sm = new KvStateMachine({ db, valueCacheBytes: cacheBytes });
  let index = await sm.appliedIndex();
  const apply = async (cmd: KvCommand): Promise<void> => {
    await sm.apply([{ index: ++index, term: 1, data: encodeCommand(cmd) }]);
  };
  for (let step = 0; step < steps; step++) {
    const key = KEYS[rng.nextInt(KEYS.length)]!;
    if (rng.nextInt(8) === 0) await apply({ op: 'deleteRange', req: { key, rangeEnd: '' } });
    else await apply({ op: 'put', req: { key, value: `v${String(step)}`.repeat(1 + rng.nextInt(4)) } });
  }
  await sm.flush();
  return sm;
}

/** A seeded range request using every option. */
function seededRequest(rng: SeededRng, rev: number): RangeRequest {
  const a = KEYS[rng.nextInt(KEYS.length)]!;
  const b = KEYS[rng.nextInt(KEYS.length)]!;
  const r: RangeRequest = { key: enc(a < b ? a : b), rangeEnd: rng.nextInt(4) === 0 ? new Uint8Array(0) : rng.nextInt(8) === 0 ? new Uint8Array([0]) : enc(a < b ? b : a) };
  if (rng.nextInt(3) === 0) r.limit = 1 + rng.nextInt(6);
  if (rng.nextInt(3) === 0) r.revision = 1 + rng.nextInt(rev);
  if (rng.nextInt(4) === 0) r.sortOrder = rng.nextInt(3) as SortOrder;
  if (rng.nextInt(4) === 0) r.sortTarget = rng.nextInt(5) as SortTarget;
  if (rng.nextInt(6) === 0) r.minModRevision = 1 + rng.nextInt(rev);
  if (rng.nextInt(6) === 0) r.maxCreateRevision = 1 + rng.nextInt(rev);
  if (rng.nextInt(8) === 0) r.countOnly = true;
  if (rng.nextInt(8) === 0) r.keysOnly = true;
  return r;
}

test.each([
  { name: 'a cache that holds every current value', cacheBytes: 1 << 20, wantUndefined: false },
  { name: 'a cache too small for most values', cacheBytes: 600, wantUndefined: true },
])('rangeNow answers what range answers whenever it answers ($name)', async ({ cacheBytes, wantUndefined }) => {
  // Superseded values leave the cache, so reads at an old revision may need the backend either way.
  for (const seed of [1, 2, 3]) {
    const sm = await seededMachine(seed, cacheBytes, 300);
    const rng = new SeededRng(100 + seed);
    let now = 0;
    let later = 0;
    for (let i = 0; i < 300; i++) {
      const view = sm.store.readView();
      const r = seededRequest(rng, sm.store.visibleRev);
      const got = rangeNow(view, r);
      const want = await range(view, r);
      if (got === undefined) {
        if (r.revision === undefined) later++;
      } else {
        now++;
        expect(got, `seed ${String(seed)} request ${String(i)}`).toEqual(want);
      }
    }
    expect(now).toBeGreaterThan(0); // count-only and empty reads need no value
    // Reads at the current revision: all from memory when the cache holds every current value.
    if (wantUndefined) expect(later).toBeGreaterThan(0);
    else expect(later).toBe(0);
    await sm.close();
  }
});

test('rangeNow throws the errors range rejects with: a future revision, a compacted one', async () => {
  const sm = await seededMachine(4, 1 << 20, 50);
  const view = sm.store.readView();
  const future: RangeRequest = { key: enc('k00'), revision: sm.store.visibleRev + 1 };
  await expect(range(view, future)).rejects.toMatchObject({ code: 'ERR_FUTURE_REV' });
  expect(() => rangeNow(view, future)).toThrow(expect.objectContaining({ code: 'ERR_FUTURE_REV' }) as Error);
  const index = await sm.appliedIndex();
  const res = (await sm.apply([{ index: index + 1, term: 1, data: encodeCommand({ op: 'compact', req: { revision: 20 } }) }]))[0]!;
  expect(res.ok).toBe(true);
  const old: RangeRequest = { key: enc('k00'), revision: 10 };
  await expect(range(sm.store.readView(), old)).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
  expect(() => rangeNow(sm.store.readView(), old)).toThrow(expect.objectContaining({ code: 'ERR_COMPACTED' }) as Error);
  await sm.close();
});

test('a view without rangeKeysNow (another ReadView implementation) is read through range', () => {
  const view: ReadView = { firstRev: -1, rev: 1, rangeKeys: () => Promise.resolve({ kvs: [], count: 0, rev: 1 }) };
  expect(rangeNow(view, { key: enc('k') })).toBeUndefined();
});
