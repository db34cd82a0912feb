import { afterEach, expect, test } from 'vitest';
import { TooManyRequestsError } from '../../src/replica/errors.js';
import { Cluster, set, waitFor } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  for (const sm of cluster?.machines.values() ?? []) sm.gate = undefined;
  await cluster?.close();
  cluster = undefined;
});

test('a stalled state machine makes proposals fail with TooManyRequestsError; pending stays bounded', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { maxPendingApply: 20, maxPendingProposals: 50 }));
  const leader = await c.waitLeader();
  await leader.propose(set('warm', 'up'));
  let release!: () => void;
  c.machines.get(leader.id)!.gate = new Promise<void>((r) => (release = r));
  const results: Promise<unknown>[] = [];
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    const p = leader.propose(set(`k${i}`, 'v'));
    results.push(p.catch((err: unknown) => {
      if (err instanceof TooManyRequestsError) refused++;
      else throw err;
    }));
    expect(leader.status().pending).toBeLessThanOrEqual(50);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => refused > 0, 'a TooManyRequestsError');
  expect(leader.status().pending).toBeLessThanOrEqual(50);
  expect(leader.status().commit - leader.status().applied).toBeGreaterThan(20);
  release();
  c.machines.get(leader.id)!.gate = undefined;
  await Promise.all(results);
  await leader.propose(set('after', 'stall'));
  expect(refused).toBeGreaterThan(0);
});
