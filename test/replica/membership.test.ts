import { afterEach, expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { Cluster, addr, metricSum, set, waitFor, waitUntil } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const peersOf = (ids: number[]) => ids.map((id) => ({ id, address: addr(id) }));

test('grow 3 → 5 through learners, then shrink back to 3', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  let leader = await c.waitLeader();
  for (let i = 0; i < 20; i++) await leader.propose(set(`k${i}`, 'v'));
  for (const id of [4, 5]) {
    await leader.addMember(id, addr(id), { learner: true });
    const joined = await c.start(id, { join: peersOf([1, 2, 3]) });
    await waitUntil([joined], ['applied'], () => joined.status().applied >= leader.status().commit, `learner ${id} to catch up`);
    await waitFor(() => leader.status().progress?.get(id)?.active === true, `learner ${id} to be active`);
    await leader.promoteMember(id);
  }
  expect(leader.status().config.voters.sort()).toEqual([1, 2, 3, 4, 5]);
  await leader.propose(set('five', 'yes'));
  await c.waitApplied(leader.status().commit);
  expect(c.machines.get(5)!.data.get('k0')).toBe('v');
  expect(c.machines.get(4)!.data.get('five')).toBe('yes');
  // Every member learned every address through the conf change contexts.
  expect([...c.replicas.get(5)!.status().members.keys()].sort()).toEqual([1, 2, 3, 4, 5]);

  const removed: number[] = [];
  for (const id of [4, 5]) {
    const r = c.replicas.get(id)!;
    await leader.removeMember(id);
    removed.push(id);
    await waitFor(() => r.lifecycle === 'closed', `member ${id} to stop`);
  }
  leader = await c.waitLeader();
  expect(leader.status().config.voters.sort()).toEqual([1, 2, 3]);
  await leader.propose(set('three', 'again'));
});

test('promotion is refused until the learner has caught up', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { learnerMaxLag: 5 }));
  const leader = await c.waitLeader();
  for (let i = 0; i < 20; i++) await leader.propose(set(`k${i}`, 'v'));
  await leader.addMember(4, addr(4), { learner: true });
  // Member 4 never started: it is neither reachable nor caught up.
  await expect(leader.promoteMember(4)).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
});

test('replace the leader: add a learner, promote it, remove the old leader', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  await leader.propose(set('before', '1'));
  await leader.addMember(4, addr(4), { learner: true });
  const joined = await c.start(4, { join: peersOf([1, 2, 3]) });
  await waitUntil([joined], ['applied'], () => joined.status().applied >= leader.status().commit, 'the learner to catch up');
  await waitFor(() => leader.status().progress?.get(4)?.active === true, 'the learner to be active');
  await leader.promoteMember(4);
  const oldId = leader.id;
  await leader.removeMember(oldId);
  await waitFor(() => leader.lifecycle === 'closed', 'the old leader to stop');
  c.replicas.delete(oldId);
  const next = await c.waitLeader();
  expect(next.id).not.toBe(oldId);
  await next.propose(set('after', '2'));
  await c.waitApplied(next.status().commit);
  expect(c.machines.get(4)!.data.get('after')).toBe('2');
  expect(next.status().config.voters).not.toContain(oldId);
});

test('a removal that would leave no reachable quorum is refused', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const [down, other] = c.running().filter((r) => r.id !== leader.id).map((r) => r.id) as [number, number];
  await c.stop(down);
  await waitFor(() => leader.status().progress?.get(down)?.active === false, 'the stopped member to count as unreachable');
  expect(leader.status().role).toBe(StateType.Leader);
  // {leader, down} would need both to be reachable.
  await expect(leader.removeMember(other)).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  // Adding a voter would need 3 of 4 reachable; only 2 are.
  await expect(leader.addMember(9, addr(9))).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED' });
  // Removing the unreachable one is safe.
  await leader.removeMember(down);
});

test('with strictReconfigCheck off (etcd\'s --strict-reconfig-check=false) the same removal is made, leaving no quorum, as etcd lets it', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { strictReconfigCheck: false }));
  const leader = await c.waitLeader();
  const [down, other] = c.running().filter((r) => r.id !== leader.id).map((r) => r.id) as [number, number];
  await c.stop(down);
  await waitFor(() => leader.status().progress?.get(down)?.active === false, 'the stopped member to count as unreachable');
  await leader.removeMember(other);
  expect(leader.status().config.voters.sort()).toEqual([leader.id, down].sort());
});

test('a single voter may add a second voter directly, as etcd allows: no quorum until it has joined, then both commit', async () => {
  const c = (cluster = await Cluster.create([1]));
  const leader = await c.waitLeader();
  await leader.propose(set('before', '1'));
  await leader.addMember(2, addr(2));
  expect(leader.status().config.voters.sort()).toEqual([1, 2]);
  // Without member 2 there is no quorum: a proposal cannot commit.
  await expect(leader.propose(set('alone', 'x'), { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  await c.start(2, { join: peersOf([1]) });
  const now = await c.waitLeader();
  await now.propose(set('after', '2'));
  await c.waitApplied(now.status().commit);
  expect(c.machines.get(2)!.data.get('before')).toBe('1');
  expect(c.machines.get(2)!.data.get('after')).toBe('2');
});

test('membership changes must be made on the leader', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const follower = c.running().find((r) => r.id !== leader.id)!;
  await expect(follower.addMember(4, addr(4))).rejects.toMatchObject({ code: 'ERR_NOT_LEADER', leader: leader.id });
});

// Found by the Jepsen-style suite: a member's transport admits only the members of its applied
// configuration, so a voter that missed the change adding a member refuses that member's
// messages, and while that member leads it cannot catch up by itself (src/replica/lagging-voter.ts).
test('a voter that missed the addition of the leader is brought back by a member it knows', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const first = await c.waitLeader();
  const lagging = [1, 2, 3].find((id) => id !== first.id)!;
  await first.propose(set('before', '1'));
  await c.waitApplied(first.status().commit);
  await c.stop(lagging);

  await first.addMember(4, addr(4), { learner: true });
  const fourth = await c.start(4, { join: peersOf([1, 2, 3]) });
  await waitUntil([fourth], ['applied'], () => fourth.status().applied >= first.status().commit, 'member 4 to catch up');
  await waitFor(() => first.status().progress?.get(4)?.active === true, 'member 4 to be active');
  await first.promoteMember(4);
  await waitFor(() => fourth.status().config.voters.includes(4), 'member 4 to apply its promotion');
  await first.transferLeadership(4);
  await waitFor(() => fourth.status().roleName === 'leader', 'member 4 to lead');
  await fourth.propose(set('while-away', '2'));

  // Back, it knows members 1-3 only: it refuses the leader's messages, and pre-campaigns.
  const back = await c.start(lagging);
  // (Frames from peers it could not identify count under peer 0.)
  await waitFor(async () => (await metricSum(back, 'raft_transport_frames_refused_total', { peer: '0' })) >= 5, 'the returning member to refuse member 4');
  // A follower it reaches asks member 4 for leadership, and once leader sends it what it missed.
  await waitUntil([back], ['applied'], () => back.status().config.voters.includes(4), 'the returning member to apply the addition of member 4', 20_000);
  const next = await c.waitLeader();
  expect(next.id).not.toBe(4);
  const rescues = await Promise.all(c.running().map((r) => metricSum(r, 'raft_lagging_voter_rescues_total')));
  expect(rescues.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  await next.propose(set('caught-up', '3'));
  await c.waitApplied(next.status().commit, [lagging]);
  expect(c.machines.get(lagging)!.data.get('while-away')).toBe('2');
  expect(c.machines.get(lagging)!.data.get('caught-up')).toBe('3');
  // With member 4 in its configuration it follows member 4 too.
  await next.transferLeadership(4);
  await waitFor(() => fourth.status().roleName === 'leader', 'member 4 to lead again');
  await fourth.propose(set('after', '4'));
  await c.waitApplied(fourth.status().commit, [lagging]);
  expect(c.machines.get(lagging)!.data.get('after')).toBe('4');
});
