import { expect, test } from 'vitest';
import { SeededRng } from '../../../src/raft/rng.js';
import {
  checkLinearizable,
  kvModel,
  type KvInput,
  type KvOutput,
  type Operation,
} from '../../../src/testing/linearizability/index.js';
import { simulateKv } from './helpers.js';

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

function shapeFor(seed: number): Parameters<typeof simulateKv>[0] {
  const rng = new SeededRng(seed * 7919);
  return {
    seed,
    clients: 2 + rng.nextInt(7),
    operations: 20 + rng.nextInt(200),
    keys: 1 + rng.nextInt(3),
    unknownRate: rng.nextInt(3) === 0 ? 0.05 : 0,
    failRate: 0.05,
  };
}

test.each(SEEDS)('property: a history of a linearizable store passes (seed %i)', (seed) => {
  const history = simulateKv(shapeFor(seed));
  const result = checkLinearizable(history, kvModel());
  expect(result.ok, `seed ${seed}`).toBe(true);
});

test.each(SEEDS)('property: the same history with one read of a never-written value fails (seed %i)', (seed) => {
  const history = simulateKv(shapeFor(seed));
  const rng = new SeededRng(seed);
  const reads = history.flatMap((op, i) => (op.outcome === 'ok' && op.input.op === 'get' ? [i] : []));
  expect(reads.length, `seed ${seed}`).toBeGreaterThan(0);
  const victim = reads[rng.nextInt(reads.length)]!;
  const original = history[victim]!;
  const corrupted: Operation<KvInput, KvOutput> = { ...original, outcome: 'ok', output: { op: 'get', value: 'never-written' }, return: original.return };
  const bad = history.map((op, i) => (i === victim ? corrupted : op));

  const result = checkLinearizable(bad, kvModel());
  expect(result.ok, `seed ${seed}`).toBe(false);
  if (result.ok !== false) return;
  // The corrupted read is impossible in any order, so it is the whole counterexample.
  expect(result.culprits).toEqual([corrupted]);
  expect(result.counterexample).toEqual([corrupted]);
  expect(result.partitionKey).toBe(original.input.key);
});
