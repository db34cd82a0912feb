import { expect, test } from 'vitest';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, electByVotes, flush, newTestNode } from '../helpers/raft-harness.js';

// Raft paper §5.4 "Safety".

// §5.4.1: "The RequestVote RPC ... includes information about the candidate's log."
test.each([
  { logTerms: [1], wterm: 2 },
  { logTerms: [1, 2], wterm: 3 },
  { logTerms: [1, 1, 3], wterm: 4 },
])('vote requests carry the last log index and term $logTerms', ({ logTerms, wterm }) => {
  const n = newTestNode(1, { voters: [1, 2, 3, 4, 5], logTerms, hardState: { term: wterm - 1, vote: 0, commit: 0 } });
  n.node.campaign();
  const votes = flush(n).filter((m) => m.type === MessageType.MsgVote);
  expect(votes.map((m) => m.to)).toEqual([2, 3, 4, 5]);
  for (const m of votes) {
    expect(m.term).toBe(wterm);
    expect(m.index).toBe(logTerms.length);
    expect(m.logTerm).toBe(logTerms[logTerms.length - 1]);
  }
});

// §5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the
// candidate. ... If the logs have last entries with different terms, then the log with the
// later term is more up-to-date. If the logs end with the same term, then whichever log is
// longer is more up-to-date."
test.each([
  // same last term
  { logTerms: [1], logTerm: 1, index: 1, wreject: false },
  { logTerms: [1], logTerm: 1, index: 2, wreject: false },
  { logTerms: [1, 1], logTerm: 1, index: 1, wreject: true },
  // candidate has a later last term
  { logTerms: [1], logTerm: 2, index: 1, wreject: false },
  { logTerms: [1], logTerm: 2, index: 2, wreject: false },
  { logTerms: [1, 1], logTerm: 2, index: 1, wreject: false },
  // voter has a later last term
  { logTerms: [2], logTerm: 1, index: 1, wreject: true },
  { logTerms: [2], logTerm: 1, index: 2, wreject: true },
  { logTerms: [1, 2], logTerm: 1, index: 1, wreject: true },
])('voter with log $logTerms answers candidate (logTerm $logTerm, index $index): reject=$wreject', ({ logTerms, logTerm, index, wreject }) => {
  const n = newTestNode(1, { logTerms, hardState: { term: 3, vote: 0, commit: 0 } });
  n.node.step(createMessage({ type: MessageType.MsgVote, from: 2, to: 1, term: 3, logTerm, index }));
  const resps = flush(n).filter((m) => m.type === MessageType.MsgVoteResp);
  expect(resps.map((m) => ({ to: m.to, term: m.term, reject: m.reject }))).toEqual([{ to: 2, term: 3, reject: wreject }]);
});

// §5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log
// entries from the leader's current term are committed by counting replicas."
test.each([
  // the leader is at term 3; entries 1 (term 1) and 2 (term 2) came from earlier leaders
  { index: 1, wcommit: 0 },
  { index: 2, wcommit: 0 },
  { index: 3, wcommit: 3 },
])('leader commits only entries of its current term by counting: ack $index → commit $wcommit', ({ index, wcommit }) => {
  const n = newTestNode(1, { logTerms: [1, 2], hardState: { term: 2, vote: 0, commit: 0 } });
  electByVotes(n);
  expect(n.node.status().term).toBe(3);
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 3, index }));
  flush(n);
  expect(n.node.status().commit).toBe(wcommit);
});

// §5.4.3 "Leader Completeness Property": "If a log entry is committed in a given term, then
// that entry will be present in the logs of the leaders for all higher-numbered terms."
test('a node missing committed entries cannot become leader; the new leader has them all', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.isolate(3);
  h.propose(1, 'a', 'b', 'c');
  const committed = h.get(1).node.status().commit;
  expect(committed).toBe(4);
  // The leader fails; the stale node 3 returns and campaigns first.
  h.recover();
  h.isolate(1);
  h.get(3).node.campaign();
  h.stabilize();
  expect(h.get(3).node.status().raftState).not.toBe(StateType.Leader);
  h.get(2).node.campaign();
  h.stabilize();
  expect(h.get(2).node.status().raftState).toBe(StateType.Leader);
  const s2 = h.get(2).storage;
  expect(s2.lastIndex()).toBeGreaterThanOrEqual(committed);
  expect(h.appliedData(3)).toEqual(['a', 'b', 'c']);
});
