import { afterEach, expect, test } from 'vitest';
import { RoleName, StateType } from '../../src/raft/ready.js';
import { Cluster } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('status() names the role as a word next to the StateType number', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  expect(leader.status()).toMatchObject({ role: StateType.Leader, roleName: 'leader' });
  for (const r of c.replicas.values()) {
    const s = r.status();
    expect(s.roleName).toBe(RoleName[s.role]);
  }
});

test.each([
  { role: StateType.Follower, want: 'follower' },
  { role: StateType.Candidate, want: 'candidate' },
  { role: StateType.Leader, want: 'leader' },
  { role: StateType.PreCandidate, want: 'pre-candidate' },
])('RoleName[$role] is $want', ({ role, want }) => {
  expect(RoleName[role]).toBe(want);
});
