import { afterEach, expect, test } from 'vitest';
import { EtcdMetrics } from '../../src/etcd/metrics.js';
import { MessageType, createMessage, type Message } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import type { Cancel, Clock } from '../../src/replica/clock.js';
import { HeartbeatDetector } from '../../src/replica/heartbeat-detector.js';
import type { Replica } from '../../src/replica/replica.js';
import { Cluster, KvMachine, addr, metricSum, set, waitFor } from './helpers/cluster.js';
import { ManualTime } from './helpers/manual-time.js';

// etcd's server metrics that raftkit counts in the replica (raft_* names, renamed to etcd's by
// raftkit/etcd): late leader heartbeats, slow applies, failed and slow ReadIndex rounds. The
// tests run on virtual time (10 ms ticks, a heartbeat every tick, 100 ms election timeout).

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** The replicas' clock: {@link ManualTime}'s, plus a `skew` added to `now()` (a stall that no timer saw). */
class SkewedClock implements Clock {
  skew = 0;
  readonly time: ManualTime;

  constructor(time: ManualTime) {
    this.time = time;
  }

  now(): number {
    return this.time.now() + this.skew;
  }

  every(ms: number, fn: () => void): Cancel {
    return this.time.every(ms, fn);
  }
}

/** Starts members 1, 2 and 3 on virtual time; resolves once one leads. */
async function start3(time: ManualTime, clock: Clock = time): Promise<{ c: Cluster; leader: Replica<number>; followers: Replica<number>[] }> {
  const c = (cluster = new Cluster({ clock }, { scheduler: time }));
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  await Promise.all(peers.map(({ id }) => c.start(id, { peers })));
  await time.until(() => c.running().some((r) => r.status().role === StateType.Leader), 'a leader');
  const leader = c.running().find((r) => r.status().role === StateType.Leader)!;
  return { c, leader, followers: c.running().filter((r) => r !== leader) };
}

/** Advances virtual time until `p` settles; returns its value or its rejection. */
async function settle(time: ManualTime, p: Promise<unknown>): Promise<unknown> {
  let out: { v: unknown } | undefined;
  p.then((v) => (out = { v }), (e: unknown) => (out = { v: e }));
  await time.until(() => out !== undefined, 'the request to settle');
  return out!.v;
}

/** The value of the unlabelled sample `name` in raftkit/etcd's exposition of `r`'s metrics. */
async function etcdSample(r: Replica<number>, name: string): Promise<number> {
  const text = await new EtcdMetrics(r, 0).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`${name} is not exported`);
  return Number(m[1]);
}

const heartbeat = (to: number, term: number): Message => createMessage({ type: MessageType.MsgHeartbeat, to, term });

test('HeartbeatDetector: a gap over twice the interval counts once per peer; a new term or a forgotten peer starts over', () => {
  let now = 0;
  let late = 0;
  const d = new HeartbeatDetector({ now: () => now, every: () => () => undefined }, 10, () => late++);
  d.sent([heartbeat(2, 1), heartbeat(3, 1)]);
  now = 20; // exactly 2 × the interval: on time
  d.sent([heartbeat(2, 1), heartbeat(3, 1), createMessage({ type: MessageType.MsgApp, to: 2, term: 1 })]);
  expect(late).toBe(0);
  now = 41;
  d.sent([heartbeat(2, 1)]);
  expect(late).toBe(1);
  // Only a heartbeat counts: an append to 3 does not refresh its record, nor count.
  now = 50;
  d.sent([createMessage({ type: MessageType.MsgApp, to: 3, term: 1 })]);
  expect(late).toBe(1);
  now = 60;
  d.sent([heartbeat(3, 1)]);
  expect(late).toBe(2);
  // A later term (a new stint as leader) and a forgotten peer start new records.
  now = 500;
  d.forget(3);
  d.sent([heartbeat(2, 2), heartbeat(3, 2)]);
  expect(late).toBe(2);
  now = 515;
  d.sent([heartbeat(2, 2), heartbeat(3, 2)]);
  expect(late).toBe(2);
});

test('a leader counts each heartbeat sent more than twice the heartbeat interval after the previous one to that peer; steady ticks count none', async () => {
  const time = new ManualTime();
  const clock = new SkewedClock(time);
  const { leader, followers } = await start3(time, clock);
  await time.advance(500);
  expect(await metricSum(leader, 'raft_heartbeat_send_failures_total')).toBe(0);
  // The leader stalls: the next tick comes 35 ms of its clock after the last (more than 2 × 10 ms).
  clock.skew += 25;
  await time.advance(10);
  expect(await metricSum(leader, 'raft_heartbeat_send_failures_total')).toBe(2);
  await time.advance(300);
  expect(await metricSum(leader, 'raft_heartbeat_send_failures_total')).toBe(2);
  for (const f of followers) expect(await metricSum(f, 'raft_heartbeat_send_failures_total')).toBe(0);
  expect(await etcdSample(leader, 'etcd_server_heartbeat_send_failures_total')).toBe(2);
  expect(await new EtcdMetrics(leader, 0).text()).toContain(
    '# HELP etcd_server_heartbeat_send_failures_total The total number of leader heartbeat send failures (likely overloaded from slow disk).\n# TYPE etcd_server_heartbeat_send_failures_total counter\n',
  );
});

test('a member leading again in a later term does not compare its heartbeats with those of its earlier stint', async () => {
  const time = new ManualTime();
  const { leader, followers } = await start3(time);
  const other = followers[0]!;
  await settle(time, leader.transferLeadership(other.id));
  await time.advance(500);
  await settle(time, other.transferLeadership(leader.id));
  await time.advance(200);
  expect(leader.status().role).toBe(StateType.Leader);
  expect(await metricSum(leader, 'raft_heartbeat_send_failures_total')).toBe(0);
  expect(await metricSum(other, 'raft_heartbeat_send_failures_total')).toBe(0);
});

test('a state machine apply over 100 ms counts one slow apply; quick applies none; observeRead reports a slow local read', async () => {
  const time = new ManualTime();
  const c = (cluster = new Cluster({ clock: time }, { scheduler: time }));
  const sm = new KvMachine();
  c.machines.set(1, sm);
  const r = await c.start(1, { peers: [{ id: 1, address: addr(1) }] });
  await time.until(() => r.status().role === StateType.Leader, 'a leader');
  for (let i = 0; i < 3; i++) await settle(time, r.propose(set(`k${i}`, 'v')));
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(0);
  let open: () => void = () => undefined;
  sm.gate = new Promise((resolve) => (open = resolve));
  const calls = sm.applyCalls;
  const p = r.propose(set('slow', 'v'));
  await time.until(() => sm.applyCalls > calls, 'the apply to start');
  await time.advance(150);
  sm.gate = undefined;
  open();
  expect(await settle(time, p)).toBeGreaterThan(0);
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(1);
  await settle(time, r.propose(set('quick', 'v')));
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(1);
  // The hook for reads served locally (raftkit/kv's Range and read-only Txn): over 100 ms is slow.
  r.observeRead(100);
  r.observeRead(99.5);
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(1);
  r.observeRead(100.5);
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(2);
  expect(await etcdSample(r, 'etcd_server_slow_apply_total')).toBe(2);
  expect(await new EtcdMetrics(r, 0).text()).toContain('# HELP etcd_server_slow_apply_total The total number of slow apply requests (likely overloaded from slow disk).\n# TYPE etcd_server_slow_apply_total counter\n');
});

test('warningApplyMs (etcd\'s --experimental-warning-apply-duration) moves the threshold', async () => {
  const time = new ManualTime();
  const c = (cluster = new Cluster({ clock: time }, { scheduler: time }));
  c.machines.set(1, new KvMachine());
  const r = await c.start(1, { peers: [{ id: 1, address: addr(1) }], warningApplyMs: 250 });
  r.observeRead(200);
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(0);
  r.observeRead(260);
  expect(await metricSum(r, 'raft_slow_applies_total')).toBe(1);
});

const readCounts = async (r: Replica<number>): Promise<{ failed: number; slow: number }> => ({
  failed: await metricSum(r, 'raft_read_indexes_failed_total'),
  slow: await metricSum(r, 'raft_read_indexes_slow_total'),
});

test('a read refused for want of a leader (waitForLeader: false) counts a failed read index', async () => {
  const time = new ManualTime();
  const c = (cluster = new Cluster({ clock: time }, { scheduler: time }));
  // One member of three: never a leader.
  const r = await c.start(1, { peers: [1, 2, 3].map((id) => ({ id, address: addr(id) })) });
  await time.advance(50);
  expect(await settle(time, r.read({ waitForLeader: false }))).toMatchObject({ code: 'ERR_PROPOSAL_DROPPED' });
  expect(await readCounts(r)).toEqual({ failed: 1, slow: 0 });
  expect(await etcdSample(r, 'etcd_server_read_indexes_failed_total')).toBe(1);
  expect(await new EtcdMetrics(r, 0).text()).toContain('# HELP etcd_server_read_indexes_failed_total The total number of failed read indexes seen.\n# TYPE etcd_server_read_indexes_failed_total counter\n');
});

test('a read whose ReadIndex round is out when the leader changes counts one failed read index, and asks the next leader, which answers it', async () => {
  const time = new ManualTime();
  const { leader, followers } = await start3(time);
  const f = followers[0]!;
  expect(await settle(time, f.read())).toBeGreaterThan(0);
  expect(await readCounts(f)).toEqual({ failed: 0, slow: 0 });
  // The leader is cut off: the follower's MsgReadIndex is lost, and the others elect a new leader.
  cluster!.network.isolate(leader.id);
  const read = f.read({ timeoutMs: 3000 });
  await time.until(() => f.status().leader !== leader.id, 'the follower to lose its leader');
  expect(await readCounts(f)).toEqual({ failed: 1, slow: 0 });
  // The read does not wait for its deadline: once a new leader is known, it asks that one.
  const index = await settle(time, read);
  expect(index).toBeGreaterThan(0);
  expect(f.status().leader).not.toBe(leader.id);
  expect(f.status().leader).not.toBe(0);
  expect(await readCounts(f)).toEqual({ failed: 1, slow: 0 });
});

test('a read whose ReadIndex round times out counts one slow read index', async () => {
  const time = new ManualTime();
  const { leader, followers } = await start3(time);
  const f = followers[0]!;
  // The follower still hears the leader (no election), but its messages to it are lost.
  cluster!.network.partition([f.id], [leader.id], { oneWay: true });
  expect(await settle(time, f.read({ timeoutMs: 50 }))).toMatchObject({ code: 'ERR_TIMEOUT' });
  expect(f.status().leader).toBe(leader.id);
  expect(await readCounts(f)).toEqual({ failed: 0, slow: 1 });
  expect(await etcdSample(f, 'etcd_server_slow_read_indexes_total')).toBe(1);
  expect(await new EtcdMetrics(f, 0).text()).toContain(
    '# HELP etcd_server_slow_read_indexes_total The total number of pending read indexes not in sync with leader\'s or timed out read index requests.\n# TYPE etcd_server_slow_read_indexes_total counter\n',
  );
});

test('a ReadIndex answer for a read no longer waiting (aborted) counts one slow read index', async () => {
  const time = new ManualTime();
  const { leader } = await start3(time);
  expect(await settle(time, leader.read())).toBeGreaterThan(0);
  const ac = new AbortController();
  const read = leader.read({ signal: ac.signal });
  ac.abort();
  expect(await settle(time, read)).toMatchObject({ code: 'ERR_ABORTED' });
  expect(await readCounts(leader)).toEqual({ failed: 0, slow: 0 });
  // The heartbeat round confirming the aborted read completes: its ReadState has nobody waiting.
  await time.advance(50);
  expect(await readCounts(leader)).toEqual({ failed: 0, slow: 1 });
});

test('a promotion the leader makes counts a success; its refusals count failures by reason, with etcd\'s messages; a follower counts none', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { learnerMaxLag: 5 }));
  const leader = await c.waitLeader();
  const follower = c.running().find((r) => r !== leader)!;
  for (let i = 0; i < 20; i++) await leader.propose(set(`k${i}`, 'v'));
  await leader.addMember(4, addr(4), { learner: true });
  // Member 4 has not started: neither reachable nor caught up.
  await expect(leader.promoteMember(4)).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  await expect(leader.promoteMember(follower.id)).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  await expect(follower.promoteMember(4)).rejects.toMatchObject({ code: 'ERR_NOT_LEADER' });
  expect(await metricSum(leader, 'raft_learner_promote_failures_total', { reason: 'learner_not_ready' })).toBe(1);
  expect(await metricSum(leader, 'raft_learner_promote_failures_total', { reason: 'not_learner' })).toBe(1);
  expect(await metricSum(leader, 'raft_learner_promote_successes_total')).toBe(0);
  expect(await metricSum(follower, 'raft_learner_promote_failures_total')).toBe(0);

  const learner = await c.start(4, { join: [1, 2, 3].map((id) => ({ id, address: addr(id) })) });
  await waitFor(() => learner.status().applied >= leader.status().commit && leader.status().progress?.get(4)?.active === true, 'the learner to catch up');
  await leader.promoteMember(4);
  expect(await metricSum(leader, 'raft_learner_promote_successes_total')).toBe(1);
  expect(await metricSum(leader, 'raft_learner_promote_failures_total')).toBe(2);

  const text = await new EtcdMetrics(leader, 0).text();
  expect(text).toContain('# HELP etcd_server_learner_promote_successes The total number of successful learner promotions while this member is leader.\n# TYPE etcd_server_learner_promote_successes counter\netcd_server_learner_promote_successes 1\n');
  expect(text).toContain(
    '# HELP etcd_server_learner_promote_failures The total number of failed learner promotions (likely learner not ready) while this member is leader.\n# TYPE etcd_server_learner_promote_failures counter\n',
  );
  expect(text).toMatch(/^etcd_server_learner_promote_failures\{Reason="etcdserver: can only promote a learner member which is in sync with leader"\} 1$/m);
  expect(text).toMatch(/^etcd_server_learner_promote_failures\{Reason="membership: can only promote a learner member"\} 1$/m);
});
