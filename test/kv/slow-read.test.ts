import { afterEach, expect, test } from 'vitest';
import { KvCluster } from './kv-cluster.js';

// etcd counts a read-only request (a Range, or a Txn without writes) that took over 100 ms,
// its wait for the read index included, in etcd_server_slow_apply_total. raftkit/kv reports how
// long each of its reads took to the replica, which counts the slow ones under the same name.

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const slowApplies = async (c: KvCluster, id: number): Promise<number> =>
  Number(/^raft_slow_applies_total (\d+)$/m.exec(await c.replicas.get(id)!.metrics())![1]);

test('a read that waits over 100 ms for its read index counts one slow apply; quick reads count none', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  const kv = c.client(leader.id);
  await kv.put('k', 'v');
  await kv.range('k');
  await kv.range('k', { serializable: true });
  await kv.txn({ compare: [], success: [{ requestRange: { key: 'k' } }] });
  expect(await slowApplies(c, leader.id)).toBe(0);
  // Without a quorum the leader cannot confirm a read index: the read times out after 300 ms.
  for (const id of c.replicas.keys()) if (id !== leader.id) await c.stop(id);
  await expect(kv.range('k', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  await expect(kv.txn({ compare: [], success: [{ requestRange: { key: 'k' } }] }, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  expect(await slowApplies(c, leader.id)).toBe(2);
});
