import { afterEach, describe, expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { Cluster, set, waitUntil } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe.each([3, 5])('%i members in one process', (n) => {
  test('elect, write from leader and followers, fail over, restart and catch up without losing writes', async () => {
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const c = (cluster = await Cluster.create(ids));
    const leader = await c.waitLeader();
    const acked = new Map<string, string>();
    for (const r of c.running()) {
      const key = `from-${r.id}`;
      const index = await r.propose(set(key, 'v1'));
      expect(index).toBeGreaterThan(0);
      acked.set(key, 'v1');
      // The proposer has applied its own entry when its proposal resolves.
      expect(c.machines.get(r.id)!.data.get(key)).toBe('v1');
    }

    // Kill the leader: a new one is elected and writes continue.
    const oldId = leader.id;
    await c.stop(oldId);
    const next = await c.waitLeader();
    expect(next.id).not.toBe(oldId);
    for (const r of c.running()) {
      const key = `after-${r.id}`;
      await r.propose(set(key, 'v2'));
      acked.set(key, 'v2');
    }

    // The old leader restarts from its storage and catches up.
    const back = await c.start(oldId);
    await c.waitLeader();
    const target = next.status().commit;
    await c.waitApplied(target);
    for (const id of ids) {
      const sm = c.machines.get(id)!;
      for (const [k, v] of acked) expect(sm.data.get(k), `member ${id} key ${k}`).toBe(v);
      for (const [index, count] of sm.applyCounts) expect(count, `member ${id} index ${index}`).toBe(1);
    }
    await back.propose(set('from-restarted', 'v3'));
  });
});

test('a proposal on a stopped replica rejects with StoppedError', async () => {
  const c = (cluster = await Cluster.create([1]));
  const r = c.replicas.get(1)!;
  await c.stop(1);
  await expect(r.propose(set('k', 'v'))).rejects.toMatchObject({ code: 'ERR_STOPPED' });
});

test('with forwarding disabled, a follower refuses proposals with NotLeaderError and a leader hint', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { disableProposalForwarding: true }));
  const leader = await c.waitLeader();
  const follower = c.running().find((r) => r.id !== leader.id)!;
  await expect(follower.propose(set('k', 'v'))).rejects.toMatchObject({ code: 'ERR_NOT_LEADER', leader: leader.id });
});

test('transferLeadership hands leadership to the chosen member', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const to = c.running().find((r) => r.id !== leader.id)!.id;
  await leader.transferLeadership(to);
  const transferee = c.replicas.get(to)!;
  await waitUntil([transferee], ['role-change'], () => transferee.status().role === StateType.Leader, 'the transferee to lead');
});

test('transferLeadership called on the transferee itself makes it leader; on a third member it names the leader', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const [a, b] = c.running().filter((r) => r.id !== leader.id);
  await expect(b!.transferLeadership(a!.id)).rejects.toMatchObject({ code: 'ERR_NOT_LEADER', leader: leader.id });
  await a!.transferLeadership(a!.id);
  await waitUntil([a!], ['role-change'], () => a!.status().role === StateType.Leader, 'the transferee to lead');
});
