import { expect, test } from 'vitest';
import { jepsenRun } from './helpers/jepsen.js';

test('the same seed replays the same run exactly (identical trace hashes), under every fault kind', async () => {
  const chaos = { membership: 1 };
  const a = await jepsenRun({ kind: 'kv', members: 5, seed: 4242, ops: 120, chaos });
  const b = await jepsenRun({ kind: 'kv', members: 5, seed: 4242, ops: 120, chaos });
  expect(a.traceHash).toBe(b.traceHash);
  expect(a.traceTail).toBe(b.traceTail);
  expect(a.stats).toEqual(b.stats);
  expect(a.counts).toEqual(b.counts);
  expect(a.virtualMs).toBe(b.virtualMs);
  // The run did exercise faults, so the equality above is not trivial.
  expect(a.stats.network.dropped + a.stats.network.blocked + a.stats.crashes).toBeGreaterThan(0);
});

test('a different seed gives a different run', async () => {
  const a = await jepsenRun({ kind: 'register', members: 3, seed: 1, ops: 60 });
  const b = await jepsenRun({ kind: 'register', members: 3, seed: 2, ops: 60 });
  expect(a.traceHash).not.toBe(b.traceHash);
});
