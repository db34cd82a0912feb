import { afterEach, expect, test } from 'vitest';
import { checkJointReconfig, configDiff, untilLeftJoint, type MemberChange } from '../../src/replica/joint-membership.js';
import { EventEmitter } from 'eventemitter3';
import { systemClock } from '../../src/replica/clock.js';
import type { ReconfigView } from '../../src/replica/membership.js';
import { Cluster, addr, set, waitFor, waitUntil } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const peersOf = (ids: number[]) => ids.map((id) => ({ id, address: addr(id) }));

test('replace a member in one joint change (3 → 3) while another member is down: the minority fault is tolerated throughout', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const [down, replaced] = [1, 2, 3].filter((id) => id !== leader.id) as [number, number];
  await leader.propose(set('before', '1'));
  await c.stop(down);
  await leader.addMember(4, addr(4), { learner: true });
  const joined = await c.start(4, { join: peersOf([1, 2, 3]) });
  await waitUntil([joined], ['applied'], () => joined.status().applied >= leader.status().commit, 'the learner to catch up');
  await waitFor(() => leader.status().progress?.get(4)?.active === true, 'the learner to be active');

  const configs: string[] = [];
  leader.on('applied', () => {
    const cs = leader.status().config;
    const text = `${[...cs.voters].sort().join(',')}|${[...cs.votersOutgoing].sort().join(',')}`;
    if (configs.at(-1) !== text) configs.push(text);
  });
  await leader.changeMembership([{ type: 'add-voter', id: 4 }, { type: 'remove', id: replaced }]);
  const final = leader.status().config;
  expect([...final.voters].sort()).toEqual([leader.id, down, 4].sort());
  expect(final.votersOutgoing).toEqual([]);
  expect(final.learners).toEqual([]);
  // The joint configuration was entered (old and new voters) and then left.
  const old = [1, 2, 3].join(',');
  const next = [leader.id, down, 4].sort().join(',');
  expect(configs).toEqual([`${next}|${old}`, `${next}|`]);

  // The new configuration commits with the leader and member 4 while `down` is still down.
  await leader.propose(set('after', '2'));
  await waitUntil([joined], ['applied'], () => c.machines.get(4)!.data.get('after') === '2', 'member 4 to apply a write of the new configuration');
  expect(joined.status().config.voters.sort()).toEqual([leader.id, down, 4].sort());
  // The replaced member is dropped from the address book once the joint configuration is left.
  await waitFor(() => !leader.status().members.has(replaced), 'the replaced member to be forgotten');
  // The member that was down comes back into the new configuration and catches up.
  const back = await c.start(down);
  await waitUntil([back], ['applied'], () => c.machines.get(down)!.data.get('after') === '2', 'the restarted member to catch up');
});

const view = (voters: number[], learners: number[], active: number[]): ReconfigView => ({
  leader: 1,
  config: { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false },
  progress: new Map([...voters, ...learners].map((id) => [id, { match: 10, next: 11, state: 0, recentActive: true, isLearner: false, inflight: 0, paused: false } as never])),
  isActive: (id) => active.includes(id),
  isConnected: (id) => active.includes(id),
  learnerMaxLag: 5,
});

test.each<{ name: string; changes: MemberChange[]; v: ReconfigView; want: RegExp | undefined }>([
  { name: 'replace with a caught-up learner', changes: [{ type: 'add-voter', id: 4 }, { type: 'remove', id: 3 }], v: view([1, 2, 3], [4], [2, 4]), want: undefined },
  { name: 'a new voter without an address', changes: [{ type: 'add-voter', id: 5 }], v: view([1, 2, 3], [], [2, 3]), want: /needs an address/ },
  { name: 'incoming voters without a reachable quorum', changes: [{ type: 'add-voter', id: 4, address: 'x' }, { type: 'add-voter', id: 5, address: 'y' }], v: view([1, 2, 3], [], [2]), want: /incoming voters would have 2 reachable of 5/ },
  { name: 'outgoing voters without a reachable quorum', changes: [{ type: 'add-voter', id: 4 }], v: view([1, 2, 3], [4], [4]), want: /outgoing voters would have 1 reachable of 3/ },
  { name: 'one member twice', changes: [{ type: 'remove', id: 3 }, { type: 'add-learner', id: 3, address: 'x' }], v: view([1, 2, 3], [], [2, 3]), want: /appears twice/ },
  { name: 'removing an unknown member', changes: [{ type: 'remove', id: 9 }], v: view([1, 2, 3], [], [2, 3]), want: /not in the cluster/ },
  { name: 'removing every voter', changes: [{ type: 'remove', id: 1 }], v: view([1], [], []), want: /no voter/ },
])('checkJointReconfig: $name', ({ changes, v, want }) => {
  if (want === undefined) expect(() => checkJointReconfig(v, changes)).not.toThrow();
  else expect(() => checkJointReconfig(v, changes)).toThrow(want);
});

test('configDiff: members join when they enter any half, leave when they are in none, and a promotion counts as a join', () => {
  const cs = (voters: number[], outgoing: number[], learners: number[] = []) => ({ voters, learners, votersOutgoing: outgoing, learnersNext: [], autoLeave: true });
  expect(configDiff(cs([1, 2, 3], [], [4]), cs([1, 2, 4], [1, 2, 3]))).toEqual({ added: [{ id: 4, learner: false }], removed: [] });
  expect(configDiff(cs([1, 2, 4], [1, 2, 3]), cs([1, 2, 4], []))).toEqual({ added: [], removed: [3] });
});

test('untilLeftJoint resolves once the configuration is left, and rejects on abort without leaving listeners behind', async () => {
  const events = new EventEmitter<{ applied: [] }>();
  let cs = { voters: [1, 2, 4], learners: [], votersOutgoing: [1, 2, 3], learnersNext: [], autoLeave: true };
  const left = untilLeftJoint(events, () => cs, systemClock, 600_000);
  events.emit('applied'); // still joint
  cs = { ...cs, votersOutgoing: [] };
  events.emit('applied');
  await expect(left).resolves.toBeUndefined();
  cs = { ...cs, votersOutgoing: [1, 2, 3] };
  const ac = new AbortController();
  const aborted = untilLeftJoint(events, () => cs, systemClock, 600_000, ac.signal);
  expect(events.listenerCount('applied')).toBe(1);
  ac.abort('stop');
  await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: 'stop' });
  expect(events.listenerCount('applied')).toBe(0);
  await expect(untilLeftJoint(events, () => cs, systemClock, 600_000, ac.signal)).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  await expect(untilLeftJoint(events, () => cs, systemClock, 0)).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
});
