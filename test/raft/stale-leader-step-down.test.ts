import { expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness } from '../helpers/raft-harness.js';

// A node that advanced its term while partitioned cannot win under checkQuorum or PreVote
// (the others hold a lease or reject its PreVotes). It answers the stale leader's heartbeat
// or append with a MsgAppResp carrying its higher term, which makes that leader step down,
// so the cluster can elect a leader in a term the rejoined node accepts.

test.each([
  { name: 'checkQuorum', config: { checkQuorum: true } },
  { name: 'preVote', config: { preVote: true } },
  { name: 'checkQuorum and preVote', config: { checkQuorum: true, preVote: true } },
])('a rejoining node with a higher term makes the stale leader step down ($name)', ({ config }) => {
  const h = new RaftHarness({ voters: [1, 2, 3], config });
  h.elect(1);
  h.propose(1, 'a');
  // Node 3 crashes and restarts with a higher persisted term (for example it campaigned
  // before PreVote was enabled).
  const hs = h.get(3).storage.initialState().hardState;
  h.get(3).storage.setHardState({ ...hs, term: 5, vote: 0 });
  h.restart(3);
  let sawHigherTermResp = false;
  h.onDeliver = (m) => {
    if (m.type === MessageType.MsgAppResp && m.from === 3 && m.to === 1 && m.term === 5) sawHigherTermResp = true;
  };
  h.tickNode(1, 1); // a heartbeat reaches node 3
  expect(sawHigherTermResp).toBe(true);
  expect(h.get(1).node.status().raftState).toBe(StateType.Follower);
  expect(h.get(1).node.status().term).toBe(5);
  h.onDeliver = undefined;
  // The cluster recovers: a leader at term > 5 and everyone applies new proposals.
  h.tickAll(50);
  const lead = h.leader();
  expect(lead).toBeDefined();
  expect(lead!.node.status().term).toBeGreaterThan(5);
  h.propose(lead!.id, 'b');
  for (const id of [1, 2, 3]) expect(h.appliedData(id)).toEqual(['a', 'b']);
});
