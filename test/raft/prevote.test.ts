import { expect, test } from 'vitest';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, flush, newTestNode } from '../helpers/raft-harness.js';

// PreVote (Raft thesis §9.6): a node first asks whether it could win, without touching terms.

test('a partitioned node does not inflate its term, and the leader keeps its term on rejoin', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { preVote: true } });
  h.elect(1);
  expect(h.get(1).node.status().term).toBe(1);
  h.isolate(3);
  h.propose(1, 'a', 'b');
  h.tickAll(100);
  const st3 = h.get(3).node.status();
  expect(st3.term).toBe(1);
  expect(st3.raftState).toBe(StateType.PreCandidate);
  h.recover();
  h.tickAll(30);
  expect(h.leader()?.id).toBe(1);
  for (const id of [1, 2, 3]) expect(h.get(id).node.status().term).toBe(1);
  expect(h.appliedData(3)).toEqual(['a', 'b']);
});

test('a pre-candidate asks for votes of the next term without changing its own term or vote', () => {
  const n = newTestNode(1, { logTerms: [1, 1], hardState: { term: 1, vote: 0, commit: 0 }, config: { preVote: true } });
  n.node.campaign();
  const msgs = flush(n);
  const st = n.node.status();
  expect(st.raftState).toBe(StateType.PreCandidate);
  expect(st.term).toBe(1);
  expect(st.vote).toBe(0);
  expect(msgs.filter((m) => m.type === MessageType.MsgPreVote).map((m) => ({ to: m.to, term: m.term, index: m.index, logTerm: m.logTerm }))).toEqual([
    { to: 2, term: 2, index: 2, logTerm: 1 },
    { to: 3, term: 2, index: 2, logTerm: 1 },
  ]);
  expect(msgs.some((m) => m.type === MessageType.MsgVote)).toBe(false);
  // A quorum of PreVotes starts the real election, in the next term.
  n.node.step(createMessage({ type: MessageType.MsgPreVoteResp, from: 2, to: 1, term: 2 }));
  expect(n.node.status().raftState).toBe(StateType.Candidate);
  expect(n.node.status().term).toBe(2);
});

test('granting a PreVote changes neither term nor vote of the voter', () => {
  const n = newTestNode(2, { logTerms: [1], hardState: { term: 1, vote: 0, commit: 0 }, config: { preVote: true } });
  n.node.step(createMessage({ type: MessageType.MsgPreVote, from: 1, to: 2, term: 5, index: 1, logTerm: 1 }));
  const resps = flush(n).filter((m) => m.type === MessageType.MsgPreVoteResp);
  expect(resps.map((m) => ({ to: m.to, term: m.term, reject: m.reject }))).toEqual([{ to: 1, term: 5, reject: false }]);
  const st = n.node.status();
  expect(st.term).toBe(1);
  expect(st.vote).toBe(0);
  expect(n.storage.initialState().hardState.term).toBe(1);
});

test.each([
  { name: 'shorter log, same last term', index: 1, logTerm: 2, wreject: true },
  { name: 'older last term', index: 5, logTerm: 1, wreject: true },
  { name: 'equal log', index: 2, logTerm: 2, wreject: false },
])('a PreVote from a candidate with a $name is answered reject=$wreject', ({ index, logTerm, wreject }) => {
  const n = newTestNode(2, { logTerms: [1, 2], hardState: { term: 2, vote: 0, commit: 0 }, config: { preVote: true } });
  n.node.step(createMessage({ type: MessageType.MsgPreVote, from: 1, to: 2, term: 3, index, logTerm }));
  const resps = flush(n).filter((m) => m.type === MessageType.MsgPreVoteResp);
  expect(resps.map((m) => m.reject)).toEqual([wreject]);
  expect(n.node.status().term).toBe(2);
});

test('a pre-candidate whose PreVotes are rejected by a quorum returns to follower in its term', () => {
  const n = newTestNode(1, { hardState: { term: 4, vote: 0, commit: 0 }, config: { preVote: true } });
  n.node.campaign();
  flush(n);
  n.node.step(createMessage({ type: MessageType.MsgPreVoteResp, from: 2, to: 1, term: 4, reject: true }));
  n.node.step(createMessage({ type: MessageType.MsgPreVoteResp, from: 3, to: 1, term: 4, reject: true }));
  const st = n.node.status();
  expect(st.raftState).toBe(StateType.Follower);
  expect(st.term).toBe(4);
});
