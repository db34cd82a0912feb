import { expect, test } from 'vitest';
import { CAMPAIGN_TRANSFER } from '../../src/raft/constants.js';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, flush } from '../helpers/raft-harness.js';

// The vote lease (Raft thesis §4.2.3): with checkQuorum, a server that heard from a current
// leader within the minimum election timeout neither grants a vote nor updates its term.

function cluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { checkQuorum: true } });
  h.elect(1);
  return h;
}

test.each([{ type: MessageType.MsgVote }, { type: MessageType.MsgPreVote }])(
  'a follower in its lease ignores a higher-term vote request ($type)',
  ({ type }) => {
    const h = cluster();
    const f = h.get(2);
    const last = f.node.status().commit;
    f.node.step(createMessage({ type, from: 3, to: 2, term: 5, index: last + 10, logTerm: 1 }));
    expect(flush(f)).toEqual([]);
    const st = f.node.status();
    expect(st.term).toBe(1);
    expect(st.lead).toBe(1);
    expect(st.vote).toBe(1);
  },
);

test('a disruptive candidate cannot unseat a live leader under checkQuorum', () => {
  const h = cluster();
  h.isolate(3);
  h.tickNode(3, 30); // node 3 campaigns alone, several times
  const t3 = h.get(3).node.status().term;
  expect(t3).toBeGreaterThan(1);
  h.recover();
  h.get(3).node.campaign();
  h.stabilize();
  expect(h.get(2).node.status().term).toBe(1);
  expect(h.get(2).node.status().lead).toBe(1);
});

test('a transfer election (CampaignTransfer context) is not ignored by the lease', () => {
  const h = cluster();
  const f = h.get(2);
  const st0 = f.node.status();
  const li = h.get(1).storage.lastIndex();
  f.node.step(createMessage({ type: MessageType.MsgVote, from: 3, to: 2, term: 2, index: li, logTerm: 1, context: CAMPAIGN_TRANSFER }));
  const resps = flush(f).filter((m) => m.type === MessageType.MsgVoteResp);
  expect(resps.map((m) => ({ to: m.to, term: m.term, reject: m.reject }))).toEqual([{ to: 3, term: 2, reject: false }]);
  expect(st0.term).toBe(1);
  expect(f.node.status().term).toBe(2);
  expect(f.node.status().vote).toBe(3);
});

test('leadership transfer succeeds under checkQuorum', () => {
  const h = cluster();
  h.get(1).node.transferLeader(3);
  h.stabilize();
  expect(h.leader()?.id).toBe(3);
  expect(h.get(1).node.status().raftState).toBe(StateType.Follower);
  expect(h.get(2).node.status().lead).toBe(3);
});
