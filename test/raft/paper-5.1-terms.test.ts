import { expect, test } from 'vitest';
import { MessageType, createMessage, type Message } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { electByVotes, ent, flush, newTestNode, type HarnessNode } from '../helpers/raft-harness.js';

// Raft paper §5.1 "Raft basics": terms act as a logical clock.

function inState(state: StateType): HarnessNode {
  const n = newTestNode(1);
  if (state === StateType.Candidate) {
    n.node.campaign();
    flush(n);
  } else if (state === StateType.Leader) {
    electByVotes(n);
  } else if (state === StateType.PreCandidate) {
    const p = newTestNode(1, { config: { preVote: true } });
    p.node.campaign();
    flush(p);
    return p;
  }
  return n;
}

const higherTermMessages: Array<{ name: string; msg: Message; wlead: number }> = [
  { name: 'MsgApp', msg: createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 2, index: 0, logTerm: 0 }), wlead: 2 },
  { name: 'MsgHeartbeat', msg: createMessage({ type: MessageType.MsgHeartbeat, from: 2, to: 1, term: 2 }), wlead: 2 },
  { name: 'MsgVote', msg: createMessage({ type: MessageType.MsgVote, from: 2, to: 1, term: 2, index: 5, logTerm: 2 }), wlead: 0 },
  { name: 'MsgAppResp', msg: createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 2 }), wlead: 0 },
];

const states = [
  { name: 'follower', state: StateType.Follower },
  { name: 'pre-candidate', state: StateType.PreCandidate },
  { name: 'candidate', state: StateType.Candidate },
  { name: 'leader', state: StateType.Leader },
];

for (const s of states) {
  for (const tt of higherTermMessages) {
    // "If a server's current term is smaller than the other's, then it updates its current
    // term to the larger value. If a candidate or leader discovers that its term is out of
    // date, it immediately reverts to follower state."
    test(`${s.name} updates its term from a higher-term ${tt.name} and becomes follower`, () => {
      const n = inState(s.state);
      expect(n.node.status().raftState).toBe(s.state);
      const before = n.node.status().term;
      expect(before).toBeLessThan(2);
      n.node.step({ ...tt.msg, entries: [] });
      const st = n.node.status();
      expect(st.term).toBe(2);
      expect(st.raftState).toBe(StateType.Follower);
      expect(st.lead).toBe(tt.wlead);
    });
  }
}

// "If a server receives a request with a stale term number, it rejects the request."
test('stale-term messages are ignored without changing state', () => {
  const n = newTestNode(1, { logTerms: [1, 2], hardState: { term: 2, vote: 0, commit: 0 } });
  const stale: Message[] = [
    createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 1, index: 2, logTerm: 2, entries: [ent(1, 3)], commit: 2 }),
    createMessage({ type: MessageType.MsgHeartbeat, from: 2, to: 1, term: 1, commit: 2 }),
    createMessage({ type: MessageType.MsgVote, from: 2, to: 1, term: 1, index: 9, logTerm: 9 }),
    createMessage({ type: MessageType.MsgSnap, from: 2, to: 1, term: 1 }),
  ];
  for (const m of stale) n.node.step(m);
  const st = n.node.status();
  expect(st.term).toBe(2);
  expect(st.vote).toBe(0);
  expect(st.lead).toBe(0);
  expect(st.commit).toBe(0);
  // Neither a response nor a new entry: the requests were ignored.
  expect(flush(n)).toEqual([]);
  expect(n.storage.lastIndex()).toBe(2);
});

// "When servers start up, they begin as followers."
test('a node starts as a follower with no leader', () => {
  const n = newTestNode(1, { logTerms: [1, 1], hardState: { term: 3, vote: 2, commit: 1 } });
  const st = n.node.status();
  expect(st.raftState).toBe(StateType.Follower);
  expect(st.lead).toBe(0);
  expect(st.term).toBe(3);
  expect(st.vote).toBe(2);
  expect(n.node.hasReady()).toBe(true); // committed entry 1 is ready to apply
});
