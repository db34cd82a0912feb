import { afterEach, expect, test } from 'vitest';
import { EventType } from '../../src/kv/types.js';
import { StateType } from '../../src/raft/ready.js';
import { KvCluster } from './kv-cluster.js';
import { dec } from './helpers.js';
import { Reader } from './watch-helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

// electionMs 100 → the minimum TTL is 1 s; the leader checks for expired leases every 20 ms.
const lease = { lease: { checkIntervalMs: 20, electionMs: 100 } };

/** Resolves once `cond()` holds, polling every 10 ms (lease expiry is time-driven; nothing else signals it). */
async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a lease kept alive from a follower outlives its TTL; timeToLive and leases() answer on any member; once the keep-alives stop it expires', async () => {
  const c = (cluster = await KvCluster.create(3, {}, {}, lease));
  const leader = await c.waitLeader();
  const follower = [1, 2, 3].find((id) => id !== leader.id)!;
  const kv = c.client(follower);
  const g = await kv.lease.grant(1);
  expect(g.ttl).toBe(1);
  await kv.put('held', 'x', { lease: g.id });
  const started = Date.now();
  let renewals = 0;
  for await (const r of kv.lease.keepAlive(g.id)) {
    expect(r).toMatchObject({ id: g.id, ttl: 1 });
    if (++renewals >= 5 && Date.now() - started > 1500) break;
  }
  expect((await c.client(leader.id).range('held')).count).toBe(1);
  for (const id of [1, 2, 3]) {
    const t = await c.client(id).lease.timeToLive(g.id, { keys: true });
    expect(t.grantedTtl).toBe(1);
    expect(t.ttl).toBeGreaterThanOrEqual(0);
    expect(t.keys.map(dec)).toEqual(['held']);
    expect((await c.client(id).lease.leases()).leases).toEqual([{ id: g.id }]);
  }
  await eventually(async () => (await kv.range('held')).count === 0, 'the lease to expire');
  expect((await kv.lease.timeToLive(g.id)).ttl).toBe(-1);
  // Counted as etcd counts them (etcd_debugging_lease_renewed_total, _server_lease_expired_total): by the leader only.
  const ops = (id: number): { leaseRenewals: number; leaseExpiries: number } => c.client(id).stateMachine.store.ops;
  expect(ops(leader.id).leaseRenewals).toBeGreaterThanOrEqual(renewals);
  expect(ops(follower).leaseRenewals).toBe(0);
  await eventually(() => ops(leader.id).leaseExpiries === 1, 'the expiry to be counted');
  expect(ops(follower).leaseExpiries).toBe(0);
  await expect(kv.lease.keepAliveOnce(g.id)).rejects.toMatchObject({ code: 'ERR_LEASE_NOT_FOUND' });
});

test('leases expire exactly once across a leader change: every member deletes the same keys at the same revision', async () => {
  const c = (cluster = await KvCluster.create(3, {}, {}, lease));
  const leader = await c.waitLeader();
  const readers = [1, 2, 3].map((id) => new Reader(c.client(id).watch('l', { prefix: true })));
  const a = await c.client(leader.id).lease.grant(1);
  const b = await c.client(leader.id).lease.grant(2);
  await c.client(leader.id).put('l1', 'a', { lease: a.id });
  await c.client(leader.id).put('l2', 'a', { lease: a.id });
  await c.client(leader.id).put('l3', 'b', { lease: b.id });
  const next = [1, 2, 3].find((id) => id !== leader.id)!;
  await leader.transferLeadership(next);
  await eventually(async () => (await c.client(next).range('l', { prefix: true })).count === 0, 'both leases to expire');
  for (const r of readers) await r.until(() => r.events().filter((e) => e.includes(':DEL:')).length >= 3, 'the deletes');
  const deletes = readers.map((r) => r.batches.flatMap((x) => x.events.filter((e) => e.type === EventType.DELETE).map((e) => `${e.kv.modRevision}:${dec(e.kv.key)}`)));
  // Each key deleted once; l1 and l2 (lease a) at one revision; the same on every member.
  expect(deletes[0]).toHaveLength(3);
  expect(deletes[1]).toEqual(deletes[0]);
  expect(deletes[2]).toEqual(deletes[0]);
  const [d1, d2] = deletes[0]!;
  expect(d1!.split(':')[0]).toBe(d2!.split(':')[0]);
  for (const id of [1, 2, 3]) expect((await c.client(id).lease.leases()).leases).toEqual([]);
  const revs = [1, 2, 3].map((id) => c.client(id).stateMachine.store.visibleRev);
  expect(new Set(revs).size).toBe(1);
});

test('a lease granted again under a revoked one\'s id lives its own TTL, on every member, not what was left of the old one', async () => {
  const c = (cluster = await KvCluster.create(3, {}, {}, { lease: { checkIntervalMs: 500, electionMs: 100 } }));
  const leader = await c.waitLeader();
  const kv = c.client(leader.id);
  await kv.lease.grant(1, { id: 77n });
  // Every member's lessor knows the first lease (timeToLive reads its expiry).
  for (const id of [1, 2, 3]) expect((await c.client(id).lease.timeToLive(77n)).ttl).toBeGreaterThanOrEqual(0);
  // Revoked and granted again at once, between two of the leader's expiry checks.
  await kv.lease.revoke(77n);
  await kv.lease.grant(30, { id: 77n });
  await kv.put('kept', 'x', { lease: 77n });
  for (const id of [1, 2, 3]) {
    await c.client(id).range('kept'); // applied there
    expect((await c.client(id).lease.timeToLive(77n)).ttl, `member ${id}`).toBeGreaterThan(25);
  }
  // Past the first lease's second: the second is still alive, its key still there.
  await new Promise((r) => setTimeout(r, 2500));
  expect((await kv.lease.timeToLive(77n)).ttl).toBeGreaterThan(20);
  expect((await kv.range('kept')).count).toBe(1);
});

test('a member that catches up through a snapshot takes the snapshot\'s leases, also under an id it knew from before', async () => {
  const c = (cluster = await KvCluster.create(3, {}, { snapshotEvery: 10, compactionTail: 2 }, { lease: { checkIntervalMs: 500, electionMs: 100 } }));
  const leader = await c.waitLeader();
  const behind = [1, 2, 3].find((id) => id !== leader.id)!;
  const kv = c.client(leader.id);
  await kv.lease.grant(1, { id: 78n });
  await eventually(async () => (await c.client(behind).lease.timeToLive(78n)).ttl >= 0, 'the lease on the member that falls behind');
  c.network.isolate(behind);
  await kv.lease.revoke(78n);
  await kv.lease.grant(30, { id: 78n });
  await kv.put('kept', 'x', { lease: 78n });
  for (let i = 0; i < 30; i++) await kv.put(`fill${i % 5}`, String(i)); // the log moves past what it has
  const snapshots: string[] = [];
  c.replicas.get(behind)!.on('snapshot', (kind) => snapshots.push(kind));
  c.network.heal();
  await eventually(() => snapshots.includes('restored'), 'the snapshot restored');
  await eventually(async () => (await c.client(behind).range('kept', { serializable: true })).count === 1, 'the key');
  expect((await c.client(behind).lease.timeToLive(78n)).ttl).toBeGreaterThan(20);
  // The member leads: it does not expire the second lease on the first one's clock.
  await c.replicas.get(leader.id)!.transferLeadership(behind);
  await eventually(() => c.replicas.get(behind)!.status().role === StateType.Leader, 'the member leading');
  await new Promise((r) => setTimeout(r, 2000));
  expect((await c.client(behind).range('kept')).count).toBe(1);
});

test('leases() lists the lease that expires first first, as etcd\'s LeaseLeases does; equal ones in id order', async () => {
  const c = (cluster = await KvCluster.create(1, {}, {}, lease));
  const kv = c.client(1);
  for (const [id, ttl] of [[1n, 100], [2n, 10], [3n, 50], [4n, 10]] as const) await kv.lease.grant(ttl, { id });
  const ids = (await kv.lease.leases()).leases.map((l) => l.id);
  // 2 and 4 were granted a moment apart with one TTL: 2 expires first.
  expect(ids).toEqual([2n, 4n, 3n, 1n]);
  await kv.lease.keepAliveOnce(2n); // renewed: now after 4
  expect((await kv.lease.leases()).leases.map((l) => l.id)).toEqual([4n, 2n, 3n, 1n]);
});
