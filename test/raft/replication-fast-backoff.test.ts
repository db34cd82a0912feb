import { expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, newTestNode } from '../helpers/raft-harness.js';

// Fast log back-off: a rejection carries a hint (index, term) of where the follower's log may
// match, and the leader skips whole divergent terms instead of one entry per round trip.

const rep = (t: number, n: number): number[] => Array.from({ length: n }, () => t);

test.each([
  { name: 'long divergent tail of an old term', leader: [...rep(1, 5), ...rep(3, 5)], follower: [...rep(1, 5), ...rep(2, 100)], wmaxRejects: 1 },
  { name: 'leader much longer than the divergent tail', leader: [...rep(1, 5), ...rep(3, 200)], follower: [...rep(1, 5), ...rep(2, 100)], wmaxRejects: 1 },
  { name: 'follower far behind', leader: [...rep(1, 5), ...rep(3, 100)], follower: rep(1, 5), wmaxRejects: 1 },
  { name: 'several divergent terms', leader: [...rep(1, 5), ...rep(4, 50)], follower: [...rep(1, 5), ...rep(2, 30), ...rep(3, 30)], wmaxRejects: 2 },
])('a follower with a $name is fixed in few round trips', ({ leader, follower, wmaxRejects }) => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  const hs = { term: 4, vote: 0, commit: 5 };
  h.nodes.set(1, newTestNode(1, { logTerms: leader, hardState: hs }));
  h.nodes.set(2, newTestNode(2, { logTerms: follower, hardState: hs }));
  h.nodes.set(3, newTestNode(3, { logTerms: leader, hardState: hs }));
  let rejects = 0;
  h.onDeliver = (m) => {
    if (m.type === MessageType.MsgAppResp && m.reject && m.from === 2) rejects++;
  };
  h.elect(1);
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
  expect(rejects).toBeGreaterThan(0);
  expect(rejects).toBeLessThanOrEqual(wmaxRejects);
  const log = (id: number): number[] => {
    const s = h.get(id).storage;
    return s.entries(1, s.lastIndex() + 1, Infinity).map((e) => e.term);
  };
  expect(log(2)).toEqual(log(1));
});
