import { expect, test } from 'vitest';
import { checkLinearizable, kvModel } from '../../../src/testing/linearizability/index.js';
import { simulateKv } from './helpers.js';

// Timing is reported by vitest, not asserted: the generous timeout only catches a
// blow-up of the search (exponential behaviour), never a slow machine.
test('performance: a 10 000-operation, 16-client, 8-key KV history checks as linearizable', { timeout: 20_000 }, () => {
  const history = simulateKv({ seed: 10_000, clients: 16, operations: 10_000, keys: 8, unknownRate: 0.002, failRate: 0.01 });
  expect(history).toHaveLength(10_000);
  const result = checkLinearizable(history, kvModel());
  expect(result).toMatchObject({ ok: true, partitions: 8 });
});

test('performance: a stale read injected late into the 10 000-operation history shrinks to 3 operations', { timeout: 20_000 }, () => {
  const history = simulateKv({ seed: 10_000, clients: 16, operations: 10_000, keys: 8, unknownRate: 0.002, failRate: 0.01 });
  const written = new Map<string, string[]>();
  const victim = history.findIndex((op, i) => {
    if (op.outcome === 'ok' && op.input.op === 'put') written.set(op.input.key, [...(written.get(op.input.key) ?? []), op.input.value]);
    return i > 7000 && op.outcome === 'ok' && op.input.op === 'get' && (written.get(op.input.key)?.length ?? 0) > 20;
  });
  const original = history[victim]!;
  if (original.outcome !== 'ok') throw new Error('expected a completed get');
  const stale = { ...original, output: { op: 'get' as const, value: written.get(original.input.key)![5]! } };
  const bad = history.map((op, i) => (i === victim ? stale : op));

  const result = checkLinearizable(bad, kvModel());
  expect(result).toMatchObject({ ok: false, partitionKey: original.input.key, minimal: true, culprits: [stale] });
  if (result.ok !== false) return;
  // The write that was read, the write that overwrote it, and the read.
  expect(result.counterexample).toHaveLength(3);
});
