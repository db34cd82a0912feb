import { afterEach, expect, test } from 'vitest';
import { KvClient } from '../../src/kv/kv-client.js';
import { AlarmType } from '../../src/kv/alarms/alarm-table.js';
import { findCorruptMembers } from '../../src/kv/maintenance/maintenance-client.js';
import { KvCluster } from './kv-cluster.js';
import { corruptStoredValue } from './helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function settle(c: KvCluster): Promise<number> {
  // A linearizable read on every member: each has applied everything acknowledged so far.
  const revs = await Promise.all([1, 2, 3].map(async (id) => (await c.client(id).range('zzz-none')).header.revision));
  return Math.max(...revs);
}

test('status() on every member: version, leader, raft index/term/applied, revision, db sizes', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  for (let i = 0; i < 5; i++) await c.client(leader.id).put(`s${i}`, 'v');
  await settle(c);
  for (const id of [1, 2, 3]) {
    const s = await c.client(id).maintenance.status();
    expect(s).toMatchObject({ version: '3.4.0-raftkit', leader: BigInt(leader.id), errors: [], isLearner: false });
    expect(s.header.revision).toBe(6);
    expect(s.raftAppliedIndex).toBeGreaterThan(0);
    expect(s.raftIndex).toBeGreaterThanOrEqual(s.raftAppliedIndex);
    expect(s.dbSize).toBeGreaterThan(s.dbSizeInUse);
    expect(s.dbSizeInUse).toBeGreaterThan(0);
  }
});

test('hashKV is equal on every member; a member whose value store was corrupted is named by the check', async () => {
  const c = (cluster = await KvCluster.create(3));
  for (let i = 0; i < 10; i++) await c.client((i % 3) + 1).put(`h${i}`, `value-${i}`);
  await c.client(1).deleteRange('h3');
  await c.client(2).compact(4);
  const rev = await settle(c);
  const hashes = await Promise.all([1, 2, 3].map(async (id) => ({ memberId: BigInt(id), ...(await c.client(id).maintenance.hashKV(rev)) })));
  expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
  expect(hashes[0]).toMatchObject({ hashRevision: rev, compactRevision: 4 });
  expect(findCorruptMembers(hashes)).toEqual([]);

  // Flip a value in member 2's stored revisions (not through Raft).
  const corrupted = await corruptStoredValue(c.dbs.get(2)!, 'value-7', 'VALUE-7');
  expect(corrupted).toBe(1);
  const after = await Promise.all([1, 2, 3].map(async (id) => ({ memberId: BigInt(id), ...(await c.client(id).maintenance.hashKV(rev)) })));
  expect(findCorruptMembers(after)).toEqual([2n]);
});

test('defragment reports the size before and after', async () => {
  const c = (cluster = await KvCluster.create(1));
  for (let i = 0; i < 5; i++) await c.client(1).put('d', 'x'.repeat(100));
  const d = await c.client(1).maintenance.defragment();
  expect(d.sizeBefore).toBeGreaterThan(0);
  expect(d.sizeAfter).toBeGreaterThan(0);
});

test('NOSPACE: over the quota the alarm is raised through Raft on every member; writes that need space fail, reads/deletes/compaction work; compaction + defrag + disarm restore writes', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 5; i++) await c.client(leader.id).put(`q${i}`, big);
  const size = (await c.client(leader.id).maintenance.status()).dbSize;
  const capped = new KvClient(leader, { quotaBackendBytes: size + 8000 });
  let refused = 0;
  for (let i = 0; i < 20 && refused === 0; i++) {
    await capped.put(`q${i % 5}`, big).catch((err: unknown) => {
      expect(err).toMatchObject({ code: 'ERR_NO_SPACE', message: 'etcdserver: mvcc: database space exceeded' });
      refused++;
    });
  }
  expect(refused).toBe(1);
  await settle(c);
  for (const id of [1, 2, 3]) {
    expect((await c.client(id).alarms.list()).alarms).toEqual([{ memberId: BigInt(leader.id), alarm: AlarmType.NOSPACE }]);
    expect((await c.client(id).maintenance.status()).errors).toEqual([`memberID:${leader.id} alarm:NOSPACE`]);
    // Every member refuses writes that need space, whatever its own quota.
    await expect(c.client(id).put('new', 'v')).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
    await expect(c.client(id).lease.grant(10)).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
    await expect(c.client(id).txn({ compare: [], success: [{ requestPut: { key: 't', value: 'v' } }] })).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
    expect((await c.client(id).range('q0')).count).toBe(1);
  }
  const del = await c.client(2).deleteRange('q', { prefix: true });
  expect(del.deleted).toBe(5);
  await c.client(3).compact(del.header.revision, { physical: true });
  await c.client(leader.id).maintenance.defragment();
  await c.client(1).alarms.disarm();
  await settle(c);
  for (const id of [1, 2, 3]) {
    expect(c.client(id).alarms.active()).toEqual([]);
    await c.client(id).put(`after${id}`, 'ok');
  }
  expect((await capped.put('again', 'small')).header.revision).toBeGreaterThan(0);
});

test('a negative quota is no quota, as etcd\'s --quota-backend-bytes=-1: writes past any size are applied and no alarm is raised', async () => {
  const c = (cluster = await KvCluster.create(1));
  const big = 'x'.repeat(4000);
  const unlimited = new KvClient(c.replicas.get(1)!, { quotaBackendBytes: -1 });
  expect(unlimited.alarms.quotaBackendBytes).toBe(Number.POSITIVE_INFINITY);
  for (let i = 0; i < 20; i++) await unlimited.put(`n${i}`, big);
  // The same writes through a 1-byte quota are refused: the quota check does run on this path.
  const tiny = new KvClient(c.replicas.get(1)!, { quotaBackendBytes: 1 });
  await expect(tiny.put('n0', big)).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
  await c.client(1).alarms.disarm();
  for (let i = 0; i < 5; i++) await unlimited.put(`m${i}`, big);
  expect((await c.client(1).alarms.list()).alarms).toEqual([]);
});

test('cluster: memberList, memberAdd (learner), memberUpdate, memberPromote refused until caught up, memberRemove', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  const kv = c.client(leader.id);
  const list = await c.client(2).cluster.memberList();
  expect(list.members.map((m) => [m.id, m.peerURLs, m.isLearner])).toEqual([1, 2, 3].map((id) => [BigInt(id), [`inproc://${id}`], false]));
  const added = await kv.cluster.memberAdd(['inproc://98'], { learner: true });
  expect(added.member).toMatchObject({ peerURLs: ['inproc://98'], isLearner: true });
  expect(added.members).toHaveLength(4);
  await expect(kv.cluster.memberAdd(['inproc://98'])).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  await expect(kv.cluster.memberPromote(added.member.id)).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  const updated = await kv.cluster.memberUpdate(added.member.id, ['inproc://99']);
  expect(updated.members.find((m) => m.id === added.member.id)!.peerURLs).toEqual(['inproc://99']);
  const removed = await kv.cluster.memberRemove(added.member.id);
  expect(removed.members.map((m) => m.id)).toEqual([1n, 2n, 3n]);
  // Removing a voter while another is down would leave no reachable quorum: refused.
  const [a, b] = [1, 2, 3].filter((id) => id !== leader.id) as [number, number];
  await c.stop(a);
  const start = Date.now();
  while (leader.status().progress?.get(a)?.active === true && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 10));
  await expect(kv.cluster.memberRemove(BigInt(b))).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
});

test('KV metrics on the replica registry; writes are counted on every member, as etcd applies them on every member', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  const kv = c.client(leader.id);
  await kv.put('m1', 'v');
  await kv.put('m2', 'v', { prevKv: true }); // a range, a put, and a txn (two operations)
  await kv.range('m1');
  await kv.deleteRange('m2');
  await kv.txn({ compare: [], success: [{ requestPut: { key: 'm3', value: 'v' } }] }); // one put: not a txn
  const lease = await kv.lease.grant(60);
  const w = kv.watch('m', { prefix: true });
  await kv.compact(3);
  const follower = [...c.replicas.keys()].find((id) => id !== leader.id)!;
  await c.client(follower).range('m1'); // waits until the follower applied everything above
  const text = await c.replicas.get(leader.id)!.metrics();
  const followerText = await c.replicas.get(follower)!.metrics();
  for (const t of [text, followerText]) {
    expect(t).toMatch(/^etcd_mvcc_put_total 3$/m);
    expect(t).toMatch(/^etcd_debugging_mvcc_put_total 3$/m);
    expect(t).toMatch(/^etcd_mvcc_delete_total 1$/m);
    expect(t).toMatch(/^etcd_mvcc_txn_total 1$/m);
    expect(t).toMatch(/^etcd_debugging_mvcc_total_put_size_in_bytes 9$/m);
    expect(t).toMatch(/^etcd_debugging_lease_granted_total 1$/m);
    expect(t).toMatch(/^etcd_debugging_lease_ttl_total_bucket\{le="64"\} 1$/m);
    expect(t).toMatch(/^etcd_debugging_lease_ttl_total_bucket\{le="32"\} 0$/m);
    expect(t).toMatch(/^etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds_count 1$/m);
  }
  // Ranges count where they run: the put's read and the compaction's on both, the client's range on each member that served one.
  expect(text).toMatch(/^etcd_mvcc_range_total 3$/m);
  expect(followerText).toMatch(/^etcd_mvcc_range_total 3$/m);
  expect(text).toMatch(/^etcd_debugging_mvcc_keys_total 2$/m);
  expect(text).toMatch(/^etcd_debugging_mvcc_watcher_total 1$/m);
  expect(text).toMatch(/^etcd_debugging_mvcc_slow_watcher_total 0$/m);
  expect(text).toMatch(/^raftkit_kv_leases 1$/m);
  expect(text).toMatch(/^etcd_mvcc_db_total_size_in_bytes \d+$/m);
  expect(text).toMatch(/^etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count 1$/m);
  // A keep-alive is counted as a renewal by the leader only; an expiry by the leader that revoked the lease.
  await kv.lease.keepAliveOnce(lease.id);
  await c.client(follower).lease.keepAliveOnce(lease.id);
  await c.client(follower).range('m1');
  expect(await c.replicas.get(leader.id)!.metrics()).toMatch(/^etcd_debugging_lease_renewed_total 2$/m);
  expect(await c.replicas.get(follower)!.metrics()).toMatch(/^etcd_debugging_lease_renewed_total 0$/m);
  await kv.lease.revoke(lease.id);
  await c.client(follower).range('m1');
  for (const id of c.replicas.keys()) expect(await c.replicas.get(id)!.metrics()).toMatch(/^etcd_debugging_lease_revoked_total 1$/m);
  w.cancel();
});
