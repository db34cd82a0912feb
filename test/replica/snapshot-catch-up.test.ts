import { afterEach, expect, test } from 'vitest';
import { Cluster, addr, set, waitUntil } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('a lagging member catches up through a snapshot and restores it', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 20, compactionTail: 5 }));
  const { leader, lagging, created } = await c.leaveOneBehind(60);
  expect(created.length).toBeGreaterThan(0);
  expect(c.storages.get(leader.id)!.firstIndex()).toBeGreaterThan(c.storages.get(lagging)!.lastIndex());
  // Restart with a fresh (empty) state machine so the snapshot must be restored.
  c.machines.delete(lagging);
  const back = await c.start(lagging);
  const restored = new Promise<number>((resolve) => back.on('snapshot', (kind, index) => kind === 'restored' && resolve(index)));
  expect(await restored).toBeGreaterThan(0);
  await c.waitApplied(leader.status().commit);
  const sm = c.machines.get(lagging)!;
  expect(sm.restores).toBe(1);
  for (let i = 0; i < 60; i++) expect(sm.data.get(`k${i}`)).toBe(String(i));
});

test('a new member joins after the bootstrap entries were compacted: it learns the configuration from a snapshot', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 10, compactionTail: 2 }));
  const leader = await c.waitLeader();
  for (let i = 0; i < 30; i++) await leader.propose(set(`k${i}`, 'v'));
  expect(c.storages.get(leader.id)!.firstIndex()).toBeGreaterThan(3);
  await leader.addMember(4, addr(4), { learner: true });
  const joined = await c.start(4, { join: [1, 2, 3].map((id) => ({ id, address: addr(id) })) });
  await waitUntil([joined], ['applied'], () => joined.status().applied >= leader.status().commit, 'the new member to catch up');
  expect(joined.status().config.voters.sort()).toEqual([1, 2, 3]);
  expect(joined.status().config.learners).toEqual([4]);
  expect(c.machines.get(4)!.data.get('k29')).toBe('v');
  expect([...joined.status().members.keys()].sort()).toEqual([1, 2, 3, 4]);
});
