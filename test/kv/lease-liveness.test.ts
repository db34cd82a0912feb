import { afterEach, expect, test } from 'vitest';
import { EventType } from '../../src/kv/types.js';
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
