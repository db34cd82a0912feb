/**
 * etcd's `--compaction-batch-limit` and `--compaction-sleep-interval`
 * (`KvStateMachineOptions.compactionBatchLimit`, `compactionSleepIntervalMs`): a compaction deletes
 * the records it frees in writes of at most the limit, with the interval between them, so applies
 * get the database in the gaps.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { enc } from './helpers.js';

const cmd = (index: number, c: KvCommand): { index: number; term: number; data: Uint8Array } => ({ index, term: 1, data: encodeCommand(c) });

afterEach(() => vi.restoreAllMocks());

test.each([
  { limit: 10, sleepMs: 7, batches: 3 },
  { limit: 1000, sleepMs: 7, batches: 0 },
  { limit: 10, sleepMs: 0, batches: 0 },
])('$limit records per write, $sleepMs ms apart: $batches sleeps for 34 records', async ({ limit, sleepMs, batches }) => {
  const sm = new KvStateMachine({ compactionBatchLimit: limit, compactionSleepIntervalMs: sleepMs });
  await sm.ready();
  // 35 versions of one key: compacting at the last revision frees 34 records.
  for (let i = 1; i <= 35; i++) await sm.apply([cmd(i, { op: 'put', req: { key: enc('k'), value: enc(String(i)) } })]);
  const timers = vi.spyOn(globalThis, 'setTimeout');
  const [result] = (await sm.apply([cmd(36, { op: 'compact', req: { revision: 36, physical: true } })]));
  expect(result!.ok).toBe(true);
  await (result as { physical?: Promise<void> }).physical;
  // The only timers the compaction sets are its sleeps (none at all with an interval of 0).
  expect(timers.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms > 0).map(([, ms]) => ms)).toEqual(Array<number>(batches).fill(sleepMs));
  expect(sm.store.ops.compactedKeys).toBe(34);
  // The pause histogram times each write but the last, as etcd's.
  expect((await sm.histograms.dbCompactionPause.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(limit === 10 ? 3 : 0);
  await sm.close();
});

test('a batch limit below 1 or a negative interval is refused at construction', () => {
  expect(() => new KvStateMachine({ compactionBatchLimit: 0 })).toThrow(/compactionBatchLimit must be a positive integer/);
  expect(() => new KvStateMachine({ compactionSleepIntervalMs: -1 })).toThrow(/compactionSleepIntervalMs must be a non-negative number/);
});
