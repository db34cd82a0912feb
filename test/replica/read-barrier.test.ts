import { afterEach, expect, test } from 'vitest';
import { Cluster, set } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('read() on every member sees a write acknowledged before it', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  for (let i = 0; i < 5; i++) {
    await leader.propose(set('x', String(i)));
    for (const r of c.running()) {
      const index = await r.read();
      expect(r.status().applied).toBeGreaterThanOrEqual(index);
      expect(c.machines.get(r.id)!.data.get('x'), `member ${r.id}`).toBe(String(i));
    }
  }
});
