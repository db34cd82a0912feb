import { afterEach, expect, test } from 'vitest';
import { encodeMessageFrame } from '../../src/codec/message.js';
import { EntryType } from '../../src/raft/entry.js';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { encodeEnvelope, type RequestId } from '../../src/replica/envelope.js';
import { Cluster, KvMachine, metricSum, set, waitUntil } from './helpers/cluster.js';

/**
 * Client sessions (Raft thesis §6.3, `src/replica/sessions.ts`): a proposal the leader appends
 * twice is applied once, on every member, also after a restart and from a snapshot.
 */

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** How many commands `m` applied (each applied index once; KvMachine counts them by index). */
const commands = (m: KvMachine): number => m.applyCounts.size;

async function duplicatesDropped(c: Cluster, id: number): Promise<number> {
  return metricSum(c.replicas.get(id)!, 'raft_proposals_duplicate_total');
}

test('a forwarded proposal the network duplicates is applied once, and its proposer answered by the first copy', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const follower = [1, 2, 3].find((id) => id !== leader.id)!;
  c.network.setFaults({ duplicate: 1 }, { from: follower, to: leader.id });
  const results: number[] = [];
  for (let i = 0; i < 5; i++) results.push(await c.replicas.get(follower)!.propose(set(`k${i}`, `v${i}`)));
  c.network.clearFaults();
  await c.waitApplied(leader.status().commit);
  expect(await duplicatesDropped(c, leader.id)).toBeGreaterThanOrEqual(5);
  for (const id of [1, 2, 3]) {
    const m = c.machines.get(id)!;
    expect(commands(m), `member ${id}`).toBe(5);
    expect([...m.applyCounts.values()].every((n) => n === 1)).toBe(true);
    // The proposer's result is the index of the copy that was applied: the first one.
    expect([...m.applyCounts.keys()].sort((a, b) => a - b), `member ${id}`).toEqual(results);
    expect(c.replicas.get(id)!.status().applied).toBeGreaterThan(results.at(-1)!);
  }
});

/**
 * A three-member cluster plus `inject`, which hands the leader a `MsgProp` "forwarded" by a
 * follower and carrying any request id (a duplicate made by hand), and waits until every
 * member applied it.
 */
async function cluster3(opts: { snapshotEvery: number }): Promise<{ c: Cluster; inject: (id: RequestId, cmd: Uint8Array) => Promise<void> }> {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: opts.snapshotEvery, compactionTail: 0 }));
  const inject = async (id: RequestId, cmd: Uint8Array): Promise<void> => {
    const leader = await c.waitLeader();
    const from = [1, 2, 3].find((x) => x !== leader.id)!;
    const last = leader.status().commit;
    const entry = { type: EntryType.EntryNormal, term: 0, index: 0, data: encodeEnvelope(id, cmd) };
    c.network.injectFrame(from, leader.id, encodeMessageFrame(createMessage({ type: MessageType.MsgProp, from, to: leader.id, entries: [entry] })));
    await waitUntil([leader], ['applied'], () => leader.status().commit > last, 'the injected proposal to commit');
    await c.waitApplied(leader.status().commit);
  };
  return { c, inject };
}

/** Stops every member and starts them again on their storages. */
async function restartAll(c: Cluster): Promise<void> {
  for (const id of [1, 2, 3]) await c.stop(id);
  await Promise.all([1, 2, 3].map((id) => c.start(id)));
  await c.waitLeader();
}

// A request id of a client that is no member (sessions are per proposer, members or not).
const a = { proposer: 9, incarnation: 77, seq: 1 };
const b = { proposer: 9, incarnation: 77, seq: 2 };
const machines = (c: Cluster): KvMachine[] => [1, 2, 3].map((id) => c.machines.get(id)!);

test('after a restart the table is rebuilt from the re-delivered log, although the state machine skips it', async () => {
  const { c, inject } = await cluster3({ snapshotEvery: 10_000 });
  await inject(a, set('a', '1'));
  await inject(a, set('a', '2'));
  for (const m of machines(c)) expect([commands(m), m.data.get('a')]).toEqual([1, '1']);
  // The same (durable) machines: every re-delivered entry is at or below their applied index.
  await restartAll(c);
  await inject(a, set('a', '3'));
  for (const m of machines(c)) expect([commands(m), m.data.get('a'), m.restores]).toEqual([1, '1', 0]);
  await inject(b, set('a', '4'));
  for (const m of machines(c)) expect([commands(m), m.data.get('a')]).toEqual([2, '4']);
});

test('members restored from a snapshot drop a late duplicate of a command inside the snapshot', async () => {
  const { c, inject } = await cluster3({ snapshotEvery: 2 });
  await inject(a, set('a', '1'));
  const leader = await c.waitLeader();
  for (let i = 0; i < 3; i++) await leader.propose(set(`k${i}`, 'v'));
  await c.waitApplied(leader.status().commit);
  const commandIndex = [...c.machines.get(1)!.applyCounts.keys()][0]!;
  // Snapshots are stored in the background, after the applies they cover.
  await waitUntil(c.running(), ['snapshot'], () => [1, 2, 3].every((id) => c.storages.get(id)!.snapshot().metadata.index > commandIndex), 'snapshots past the command');
  for (const id of [1, 2, 3]) c.machines.delete(id); // fresh machines: restored from the stored snapshots
  await restartAll(c);
  const before = machines(c).map(commands);
  await inject(a, set('a', '2'));
  expect(machines(c).map(commands)).toEqual(before);
  for (const m of machines(c)) expect([m.restores, m.data.get('a')]).toEqual([1, '1']);
  await inject(b, set('a', '3'));
  for (const m of machines(c)) expect(m.data.get('a')).toBe('3');
});
