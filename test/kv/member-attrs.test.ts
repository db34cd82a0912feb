import { afterEach, expect, test } from 'vitest';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvCluster } from './kv-cluster.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const url = (id: number): string => `http://127.0.0.1:${2378 + id}`;
const want = [1, 2, 3].map((id) => ({ id: BigInt(id), name: `node-${id}`, clientURLs: [url(id)] }));
const listed = async (kv: KvClient) => (await kv.cluster.memberList()).members.map((m) => ({ id: m.id, name: m.name, clientURLs: m.clientURLs }));

async function publishAll(c: KvCluster, ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    const kv = new KvClient(c.replicas.get(id)!, { name: `node-${id}`, clientUrls: [url(id)] });
    expect(await kv.published).toBe(true);
  }
}

test('each member publishes its name and client URLs through Raft: memberList on any member shows every member\'s, also after every member restarts', async () => {
  const c = (cluster = await KvCluster.create(3));
  // Nothing published yet: an empty name and no client URLs, as etcd shows a member not started.
  expect((await c.client(1).cluster.memberList()).members.map((m) => [m.name, m.clientURLs])).toEqual([['', []], ['', []], ['', []]]);
  await publishAll(c, [1, 2, 3]);
  const leader = await c.waitLeader();
  // A read barrier on each member: it has applied every publish.
  for (const id of [1, 2, 3]) expect(await listed(c.client(id))).toEqual(want);
  expect((await c.client(leader.id).cluster.memberList()).members.map((m) => m.peerURLs)).toEqual([['inproc://1'], ['inproc://2'], ['inproc://3']]);
  for (const id of [1, 2, 3]) await c.stop(id);
  for (const id of [1, 2, 3]) await c.start(id);
  await c.waitLeader();
  for (const id of [1, 2, 3]) expect(await listed(c.client(id))).toEqual(want);
});

test('a member that catches up through a Raft snapshot learns the others\' names from it; publishing the same attributes again proposes nothing', async () => {
  const c = (cluster = await KvCluster.create(3, {}, { snapshotEvery: 10, compactionTail: 2 }));
  const leader = await c.waitLeader();
  const lagging = [1, 2, 3].find((id) => id !== leader.id)!;
  await c.stop(lagging);
  await publishAll(c, [1, 2, 3].filter((id) => id !== lagging));
  for (let i = 0; i < 20; i++) await c.client(leader.id).put(`k${i % 4}`, String(i));
  // The leader's snapshot is stored in the background: wait until it has compacted the log past the
  // lagging member, so that it catches up through the snapshot (under load it could get entries instead).
  const compacted = async (): Promise<number> => (await leader.metricsJSON())['raft_log_compactions_total']!.values[0]?.value ?? 0;
  for (const deadline = performance.now() + 10_000; (await compacted()) === 0 && performance.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
  expect(await compacted()).toBeGreaterThanOrEqual(1);
  const back = await c.start(lagging);
  const names = (await back.cluster.memberList()).members.map((m) => m.name);
  // Counted by the replica from its start (a listener added after start could miss the restore).
  expect(await c.replicas.get(lagging)!.metrics()).toMatch(/^raft_snapshot_total\{kind="restored"\} [1-9]/m);
  expect(names).toEqual([1, 2, 3].map((id) => (id === lagging ? '' : `node-${id}`)));
  await publishAll(c, [lagging]);
  expect(await listed(c.client(leader.id))).toEqual(want);
  const commit = c.replicas.get(leader.id)!.status().commit;
  await publishAll(c, [1, 2, 3]);
  expect(c.replicas.get(leader.id)!.status().commit).toBe(commit);
});
