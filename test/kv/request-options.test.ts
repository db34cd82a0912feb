import { afterEach, expect, test } from 'vitest';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { StateType } from '../../src/raft/ready.js';
import { AbortedError, InvalidArgumentError, TimeoutError } from '../../src/replica/errors.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { ManualTime } from '../replica/helpers/manual-time.js';
import type { KvClient } from '../../src/kv/kv-client.js';
import { KvCluster } from './kv-cluster.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Three members on virtual time (10 ms ticks, 100 ms election timeout: the default requestTimeoutMs is 2000 ms). */
function virtualCluster(): { c: KvCluster; time: ManualTime } {
  const time = new ManualTime();
  const c = new KvCluster([1, 2, 3], { clock: time } as never, { clock: time }, { lease: { clock: time } }, new InProcessNetwork({ scheduler: time }));
  return { c, time };
}

/** Starts the members and waits (in virtual time) for a leader; returns a follower id. */
async function startWithLeader(c: KvCluster, time: ManualTime): Promise<number> {
  await Promise.all([1, 2, 3].map((id) => c.start(id)));
  await time.until(() => [...c.replicas.values()].some((r) => r.status().role === StateType.Leader) && [...c.replicas.values()].every((r) => r.status().leader !== 0), 'a leader');
  return [...c.replicas.values()].find((r) => r.status().role !== StateType.Leader)!.id;
}

/** A virtual-time cluster with a leader, one of whose followers (`f`, client `kv`) is then cut off. */
async function isolatedFollower(): Promise<{ c: KvCluster; time: ManualTime; f: number; kv: KvClient }> {
  const { c, time } = virtualCluster();
  cluster = c;
  const f = await startWithLeader(c, time);
  c.network.isolate(f);
  return { c, time, f, kv: c.client(f) };
}

/** Settles `p` into a value read later, and notes the virtual time it settled at. */
function track<T>(p: Promise<T>, time: ManualTime): { settled: () => boolean; at: () => number; error: () => unknown } {
  let at = -1;
  let error: unknown;
  p.then(
    () => (at = time.now()),
    (e: unknown) => {
      at = time.now();
      error = e;
    },
  );
  return { settled: () => at >= 0, at: () => at, error: () => error };
}

test('a write and a linearizable read with a short timeoutMs on a member cut off from the leader fail with TimeoutError after about that time', async () => {
  const { c, time } = virtualCluster();
  cluster = c;
  const f = await startWithLeader(c, time);
  const kv = c.client(f);
  const first = track(kv.put('k', 'v0'), time);
  await time.until(() => first.settled(), 'the first write');
  expect(first.error()).toBeUndefined();
  c.network.isolate(f);
  const start = time.now();
  const put = track(kv.put('k', 'v1', { prevKv: true, timeoutMs: 300 }), time);
  const read = track(kv.range('k', { timeoutMs: 200 }), time);
  const txn = track(kv.txn({ success: [{ requestPut: { key: 'k', value: 'v2' } }] }, { timeoutMs: 250 }), time);
  const grant = track(kv.lease.grant(10, { timeoutMs: 300 }), time);
  const plain = track(kv.put('k', 'v3'), time); // no options: the replica's requestTimeoutMs (2000 ms)
  await time.until(() => put.settled() && read.settled() && txn.settled() && grant.settled(), 'the bounded requests', 1000);
  for (const [r, ms] of [[put, 300], [read, 200], [txn, 250], [grant, 300]] as const) {
    expect(r.error()).toBeInstanceOf(TimeoutError);
    expect(r.at() - start).toBeGreaterThanOrEqual(ms);
    expect(r.at() - start).toBeLessThanOrEqual(ms + 20); // the replica sweeps deadlines every 10 ms tick
  }
  expect(plain.settled()).toBe(false);
  await time.until(() => plain.settled(), 'the default deadline', 3000);
  expect(plain.error()).toBeInstanceOf(TimeoutError);
  expect(plain.at() - start).toBeGreaterThanOrEqual(2000);
});

test('reads sharing one ReadIndex round keep their own deadlines, and the round is given up once they all have', async () => {
  const { c, time, f, kv } = await isolatedFollower();
  const start = time.now();
  const short = track(kv.range('k', { timeoutMs: 100 }), time);
  const long = track(kv.range('k', { timeoutMs: 400 }), time);
  const members = track(kv.cluster.memberList({ timeoutMs: 150 }), time);
  await time.until(() => short.settled() && members.settled(), 'the short reads', 1000);
  expect(short.error()).toBeInstanceOf(TimeoutError);
  expect(members.error()).toBeInstanceOf(TimeoutError);
  expect(short.at() - start).toBe(100);
  expect(long.settled()).toBe(false);
  await time.until(() => long.settled(), 'the long read', 1000);
  expect(long.error()).toBeInstanceOf(TimeoutError);
  expect(long.at() - start).toBe(400);
  // Every read waiting for the shared round gave up, so the round itself was given up (not left until the replica's requestTimeoutMs).
  await time.advance(1);
  expect(c.replicas.get(f)!.status().pending).toBe(0);
});

test('waitForLeader: false fails at once with ProposalDroppedError while no leader is known', async () => {
  const { c, time } = virtualCluster();
  cluster = c;
  const kv = await c.start(1); // alone of three: never a leader
  expect(c.replicas.get(1)!.status().leader).toBe(0);
  const opts = { waitForLeader: false } as const;
  const calls = [
    kv.put('k', 'v', opts),
    kv.range('k', opts),
    kv.deleteRange('k', opts),
    kv.txn({ success: [{ requestPut: { key: 'k', value: 'v' } }] }, opts),
    kv.txn({ success: [{ requestRange: { key: 'k' } }] }, opts),
    kv.compact(1, opts),
    kv.lease.grant(10, opts),
    kv.lease.revoke(1n, opts),
    kv.lease.keepAliveOnce(1n, opts),
    kv.lease.timeToLive(1n, opts),
    kv.lease.leases(opts),
    kv.alarms.list(opts),
    kv.alarms.disarm({}, opts),
    kv.cluster.memberList(opts),
    kv.cluster.memberRemove(2n, opts), // not the leader: forwarded through the log, which needs a leader
    kv.cluster.memberUpdate(2n, ['inproc://9'], opts),
  ];
  const results = calls.map((p) => track(p, time));
  await time.advance(1); // no timer needs to fire: each fails as soon as it is looked at
  for (const r of results) expect(r.error()).toBeInstanceOf(ProposalDroppedError);
  // Defaults unchanged: without the option a request waits for a leader (until its deadline).
  const waiting = track(kv.put('k', 'v'), time);
  await time.advance(500);
  expect(waiting.settled()).toBe(false);
  expect(c.replicas.get(1)!.status().pending).toBeGreaterThan(0);
});

test('an AbortSignal gives up a pending write or read with AbortedError', async () => {
  const { c, time, f, kv } = await isolatedFollower();
  const ac = new AbortController();
  const put = track(kv.put('k', 'v', { signal: ac.signal }), time);
  const read = track(kv.range('k', { signal: ac.signal }), time);
  await time.advance(50);
  expect(put.settled() || read.settled()).toBe(false);
  const reason = new Error('caller went away');
  ac.abort(reason);
  await time.advance(1);
  expect(put.error()).toBeInstanceOf(AbortedError);
  expect((put.error() as AbortedError).cause).toBe(reason);
  expect(read.error()).toBeInstanceOf(AbortedError);
  expect(c.replicas.get(f)!.status().pending).toBe(0);
  await expect(kv.put('k', 'v', { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
  await expect(kv.range('k', { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
});

test('request options of the wrong type are refused with InvalidArgumentError before anything is proposed', async () => {
  const { c, time } = virtualCluster();
  cluster = c;
  await startWithLeader(c, time);
  const kv = c.client(1);
  const revision = kv.stateMachine.store.visibleRev;
  const bad = [
    kv.put('k', 'v', { timeoutMs: -5 }),
    kv.put('k', 'v', { timeoutMs: 1.5 }),
    kv.range('k', { waitForLeader: 'no' as never }),
    kv.txn({}, { signal: 'stop' as never }),
    kv.lease.grant(10, { timeoutMs: '100' as never }),
    kv.cluster.memberList({ waitForLeader: 1 as never }),
    kv.cluster.memberRemove(2n, { timeoutMs: 0 }),
  ];
  for (const p of bad) await expect(p).rejects.toBeInstanceOf(InvalidArgumentError);
  expect(() => kv.deleteRange('k', { timeoutMs: Number.NaN })).toThrow(InvalidArgumentError);
  await time.advance(50);
  expect(kv.stateMachine.store.visibleRev).toBe(revision);
  expect(c.replicas.get(1)!.status().config.voters).toContain(2);
});
