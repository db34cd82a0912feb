import { afterEach, expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { PeerContact } from '../../src/replica/peer-contact.js';
import type { Replica } from '../../src/replica/replica.js';
import { Cluster, addr } from './helpers/cluster.js';
import { ManualTime } from './helpers/manual-time.js';

// etcd's strict reconfiguration check counts a voter toward the quorum a change must leave only
// once the leader has been connected to it for HealthInterval (5 s): isConnectedSince(now - 5 s),
// and a reconnection starts the interval again. `healthIntervalMs` is that interval.

test('PeerContact: connected only after an unbroken run of the health interval; a silence over an election timeout restarts it', () => {
  const c = new PeerContact(100, 5000);
  expect(c.reachable(2, 0)).toBe(false);
  expect(c.connected(2, 0)).toBe(false);
  for (let t = 0; t < 5000; t += 50) c.heard(2, t);
  expect(c.reachable(2, 4950)).toBe(true);
  expect(c.connected(2, 4999)).toBe(false);
  c.heard(2, 5000);
  expect(c.connected(2, 5000)).toBe(true);
  // Silent for one election timeout: still in contact; one more millisecond: not reachable.
  expect(c.connected(2, 5100)).toBe(true);
  expect(c.reachable(2, 5101)).toBe(false);
  expect(c.connected(2, 5101)).toBe(false);
  // Heard again after the gap: reachable at once, connected only 5 s later.
  c.heard(2, 5101);
  expect(c.reachable(2, 5101)).toBe(true);
  for (let t = 5150; t < 10_101; t += 50) c.heard(2, t);
  expect(c.connected(2, 10_100)).toBe(false);
  c.heard(2, 10_101);
  expect(c.connected(2, 10_101)).toBe(true);
  // A gap of exactly one election timeout does not break the run.
  c.heard(2, 10_201);
  expect(c.connected(2, 10_201)).toBe(true);
});

test('PeerContact: with a health interval of 0, connected is reachable', () => {
  const c = new PeerContact(100, 0);
  c.heard(3, 7);
  expect(c.connected(3, 7)).toBe(true);
  expect(c.connected(3, 107)).toBe(true);
  expect(c.connected(3, 108)).toBe(false);
});

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const HEALTH_MS = 5000;

/** What `p` has come to after 100 more virtual ms: its rejection, `'done'`, or `'pending'`. */
async function outcome(time: ManualTime, p: Promise<unknown>): Promise<unknown> {
  let out: unknown = 'pending';
  p.then(() => (out = 'done'), (e: unknown) => (out = e));
  await time.advance(100);
  return out;
}

async function start(time: ManualTime): Promise<{ c: Cluster; leader: Replica<number>; followers: [number, number] }> {
  // 10 ms ticks, 100 ms election timeout, etcd's 5 s health interval.
  const c = (cluster = new Cluster({ clock: time, healthIntervalMs: HEALTH_MS }, { scheduler: time }));
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  await Promise.all(peers.map(({ id }) => c.start(id, { peers })));
  await time.until(() => c.running().some((r) => r.status().role === StateType.Leader), 'a leader');
  const leader = c.running().find((r) => r.status().role === StateType.Leader)!;
  return { c, leader, followers: [1, 2, 3].filter((id) => id !== leader.id) as [number, number] };
}

test('a voter counts toward a reconfiguration quorum only after the health interval in contact', async () => {
  const time = new ManualTime();
  const { leader, followers } = await start(time);
  const [gone, stays] = followers;
  // Every follower is reachable, but none has been for 5 s: a removal or a voter add is refused.
  await time.advance(200);
  expect(leader.status().progress!.get(stays)!.active).toBe(true);
  expect(await outcome(time, leader.removeMember(gone))).toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED', message: expect.stringMatching(/1 reachable voters of 2/) as unknown });
  expect(await outcome(time, leader.addMember(9, addr(9)))).toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  // Learners never change a quorum: added at once.
  const learner = leader.addMember(8, addr(8), { learner: true });
  await time.until(() => leader.status().config.learners.includes(8), 'the learner to be added');
  await expect(learner).resolves.toBeUndefined();
  await time.advance(HEALTH_MS);
  const removed = leader.removeMember(gone);
  await time.until(() => !leader.status().config.voters.includes(gone), 'the removal to apply');
  await expect(removed).resolves.toBeUndefined();
});

test('a voter back from a silence longer than an election timeout starts its health interval again', async () => {
  const time = new ManualTime();
  const { c, leader, followers } = await start(time);
  const [other, restarted] = followers;
  await time.advance(HEALTH_MS);
  await c.stop(restarted);
  await time.advance(500);
  await c.start(restarted);
  await time.until(() => leader.status().progress!.get(restarted)!.active, 'the restarted member to be reachable');
  // Reachable again, but not yet for 5 s: removing the other follower would leave {leader, restarted}.
  expect(await outcome(time, leader.removeMember(other))).toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  await time.advance(HEALTH_MS);
  const removed = leader.removeMember(other);
  await time.until(() => !leader.status().config.voters.includes(other), 'the removal to apply');
  await expect(removed).resolves.toBeUndefined();
});
