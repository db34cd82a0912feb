import { afterEach, expect, test } from 'vitest';
import { findCorruptMembers } from '../../src/kv/maintenance/maintenance-client.js';
import { KvCluster } from './kv-cluster.js';
import { dec } from './helpers.js';
import { Reader } from './watch-helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('a follower behind a compaction catches up through a snapshot (the KV streams it; the core carries a reference), then serves watches from its own storage', async () => {
  const c = (cluster = await KvCluster.create(3, {}, { snapshotEvery: 10, compactionTail: 2 }));
  const leader = await c.waitLeader();
  const lagging = [1, 2, 3].find((id) => id !== leader.id)!;
  await c.stop(lagging);
  const kv = c.client(leader.id);
  for (let i = 0; i < 40; i++) await kv.put(`f${i % 10}`, `v${i}`);
  await kv.compact(20);
  for (let i = 40; i < 45; i++) await kv.put(`f${i % 10}`, `v${i}`);
  const back = await c.start(lagging);
  const snapshots: string[] = [];
  c.replicas.get(lagging)!.on('snapshot', (kind) => snapshots.push(kind));
  const now = await back.range('f', { prefix: true });
  const want = await kv.range('f', { prefix: true });
  expect(now.header.revision).toBe(want.header.revision);
  expect(now.kvs.map((x) => dec(x.value))).toEqual(want.kvs.map((x) => dec(x.value)));
  expect(snapshots).toContain('restored');
  // History after the compaction is there; before it, compacted.
  const r = new Reader(back.watch('f0', { startRevision: 21 }));
  await r.until(() => r.events().length >= 3, 'history from storage');
  expect(r.events()).toEqual(['22:PUT:f0=v20', '32:PUT:f0=v30', '42:PUT:f0=v40']);
  await expect(back.range('f0', { revision: 19 })).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
});

test('hashKV is equal on every member after chaos (writes through every member, leader transfers, a restart)', async () => {
  const c = (cluster = await KvCluster.create(3, {}, { snapshotEvery: 25, compactionTail: 3 }));
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 15; i++) {
      const id = [...c.replicas.keys()][rnd(c.replicas.size)]!;
      const k = `c${rnd(12)}`;
      if (rnd(5) === 0) await c.client(id).deleteRange(k);
      else await c.client(id).put(k, `r${round}-${i}`);
    }
    const leader = await c.waitLeader();
    if (round === 1) {
      const victim = [1, 2, 3].find((id) => id !== leader.id)!;
      await c.stop(victim);
      await c.client(leader.id).put('while-down', 'x');
      await c.start(victim);
    } else {
      await leader.transferLeadership([1, 2, 3].find((id) => id !== leader.id)!).catch(() => undefined);
      await c.waitLeader();
    }
  }
  await c.client(1).compact(10);
  const revs = await Promise.all([1, 2, 3].map(async (id) => (await c.client(id).range('zz-none')).header.revision));
  const rev = Math.max(...revs);
  await Promise.all([1, 2, 3].map((id) => c.client(id).range('zz-none')));
  const hashes = await Promise.all([1, 2, 3].map(async (id) => ({ memberId: BigInt(id), ...(await c.client(id).maintenance.hashKV(rev)) })));
  expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
  expect(findCorruptMembers(hashes)).toEqual([]);
});
