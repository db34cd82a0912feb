import { afterEach, expect, test } from 'vitest';
import { Cluster, KvMachine, set } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('a whole cluster restarts from its storage without applying anything twice', async () => {
  const ids = [1, 2, 3];
  const c = (cluster = await Cluster.create(ids, { snapshotEvery: 15, compactionTail: 3 }));
  const leader = await c.waitLeader();
  for (let i = 0; i < 40; i++) await leader.propose(set(`k${i}`, String(i)));
  await c.waitApplied(leader.status().commit);
  for (const id of ids) await c.stop(id);
  for (const id of ids) await c.start(id);
  const next = await c.waitLeader();
  await next.propose(set('after', 'restart'));
  await c.waitApplied(next.status().commit);
  for (const id of ids) {
    const sm = c.machines.get(id)!;
    for (const [index, count] of sm.applyCounts) expect(count, `member ${id} index ${index}`).toBe(1);
    expect(sm.data.get('k39')).toBe('39');
    expect(sm.data.get('after')).toBe('restart');
  }
});

test('a member with a fresh in-memory state machine rebuilds it from the stored snapshot and log', async () => {
  const c = (cluster = await Cluster.create([1], { snapshotEvery: 10, compactionTail: 2 }));
  const r = c.replicas.get(1)!;
  for (let i = 0; i < 25; i++) await r.propose(set(`k${i}`, String(i)));
  await c.stop(1);
  c.machines.set(1, new KvMachine());
  const back = await c.start(1);
  await c.waitLeader();
  await back.read();
  const sm = c.machines.get(1)!;
  expect(sm.restores).toBe(1);
  for (let i = 0; i < 25; i++) expect(sm.data.get(`k${i}`)).toBe(String(i));
});
