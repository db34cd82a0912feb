import { expect, test } from 'vitest';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { electByVotes, flush, newTestNode, type HarnessNode } from '../helpers/raft-harness.js';

// Raft paper §5.2 "Leader election".

function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function ticks(n: HarnessNode, k: number): void {
  for (let i = 0; i < k; i++) n.node.tick();
}

// "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all
// followers in order to maintain their authority."
test.each([{ hb: 1 }, { hb: 3 }])('leader broadcasts heartbeats every heartbeatTick ($hb)', ({ hb }) => {
  const n = newTestNode(1, { config: { heartbeatTick: hb, electionTick: 10 } });
  electByVotes(n);
  flush(n);
  for (let round = 0; round < 3; round++) {
    ticks(n, hb - 1);
    expect(flush(n).filter((m) => m.type === MessageType.MsgHeartbeat)).toEqual([]);
    n.node.tick();
    const beats = flush(n).filter((m) => m.type === MessageType.MsgHeartbeat);
    expect(beats.map((m) => ({ to: m.to, term: m.term, entries: m.entries.length }))).toEqual([
      { to: 2, term: 1, entries: 0 },
      { to: 3, term: 1, entries: 0 },
    ]);
  }
});

// "If a follower receives no communication over a period of time called the election
// timeout, then it assumes there is no viable leader and begins an election to choose a new
// leader. To begin an election, a follower increments its current term and transitions to
// candidate state. It then votes for itself and issues RequestVote RPCs in parallel to each
// of the other servers in the cluster."
test('follower starts an election after the election timeout', () => {
  const n = newTestNode(1);
  ticks(n, 2 * 10);
  const st = n.node.status();
  expect(st.raftState).toBe(StateType.Candidate);
  expect(st.term).toBe(1);
  expect(st.vote).toBe(1);
  const votes = flush(n).filter((m) => m.type === MessageType.MsgVote);
  expect(votes.map((m) => ({ to: m.to, term: m.term }))).toEqual([
    { to: 2, term: 1 },
    { to: 3, term: 1 },
  ]);
});

// "The third possible outcome is that a candidate neither wins nor loses the election ...
// each candidate will time out and start a new election by incrementing its term and
// initiating another round of RequestVote RPCs."
test('candidate starts a new election after the election timeout', () => {
  const n = newTestNode(1);
  n.node.campaign();
  flush(n);
  expect(n.node.status().term).toBe(1);
  ticks(n, 2 * 10);
  const st = n.node.status();
  expect(st.raftState).toBe(StateType.Candidate);
  expect(st.term).toBe(2);
  expect(st.vote).toBe(1);
  const votes = flush(n).filter((m) => m.type === MessageType.MsgVote);
  expect(votes.map((m) => ({ to: m.to, term: m.term }))).toEqual([
    { to: 2, term: 2 },
    { to: 3, term: 2 },
  ]);
});

// "A candidate wins an election if it receives votes from a majority of the servers in the
// full cluster for the same term." / "If the candidate receives AppendEntries ... or a
// majority rejects, it returns to follower state."
test.each([
  { size: 1, votes: {}, wstate: StateType.Leader },
  { size: 3, votes: { 2: true, 3: true }, wstate: StateType.Leader },
  { size: 3, votes: { 2: true }, wstate: StateType.Leader },
  { size: 5, votes: { 2: true, 3: true, 4: true, 5: true }, wstate: StateType.Leader },
  { size: 5, votes: { 2: true, 3: true, 4: true }, wstate: StateType.Leader },
  { size: 5, votes: { 2: true, 3: true }, wstate: StateType.Leader },
  // not yet decided: stays candidate
  { size: 3, votes: {}, wstate: StateType.Candidate },
  { size: 5, votes: { 2: true }, wstate: StateType.Candidate },
  { size: 5, votes: { 2: false, 3: false }, wstate: StateType.Candidate },
  // lost: back to follower
  { size: 3, votes: { 2: false, 3: false }, wstate: StateType.Follower },
  { size: 5, votes: { 2: false, 3: false, 4: false }, wstate: StateType.Follower },
  { size: 5, votes: { 2: true, 3: false, 4: false, 5: false }, wstate: StateType.Follower },
] as Array<{ size: number; votes: Record<number, boolean>; wstate: StateType }>)(
  'election outcome in one round: size $size votes $votes',
  ({ size, votes, wstate }) => {
    const n = newTestNode(1, { voters: ids(size) });
    n.node.campaign();
    flush(n);
    for (const [id, granted] of Object.entries(votes)) {
      n.node.step(createMessage({ type: MessageType.MsgVoteResp, from: Number(id), to: 1, term: 1, reject: !granted }));
      flush(n);
    }
    expect(n.node.status().raftState).toBe(wstate);
    expect(n.node.status().term).toBe(1);
  },
);

// "The third possible outcome is that a candidate neither wins nor loses the election: if
// many followers become candidates at the same time, votes could be split."
test('split vote: no leader in the term, and the candidate retries in the next term', () => {
  const n = newTestNode(1, { voters: [1, 2, 3, 4] });
  n.node.campaign();
  flush(n);
  // 2 grants; 3 and 4 voted for someone else (no answer here).
  n.node.step(createMessage({ type: MessageType.MsgVoteResp, from: 2, to: 1, term: 1 }));
  n.node.step(createMessage({ type: MessageType.MsgVoteResp, from: 3, to: 1, term: 1, reject: true }));
  flush(n);
  expect(n.node.status().raftState).toBe(StateType.Candidate);
  ticks(n, 2 * 10);
  expect(n.node.status().term).toBe(2);
  expect(n.node.status().raftState).toBe(StateType.Candidate);
});

// "Each server will vote for at most one candidate in a given term, on a first-come-
// first-served basis."
test.each([
  { vote: 0, nvote: 2, wreject: false },
  { vote: 0, nvote: 3, wreject: false },
  { vote: 2, nvote: 2, wreject: false },
  { vote: 3, nvote: 3, wreject: false },
  { vote: 2, nvote: 3, wreject: true },
  { vote: 3, nvote: 2, wreject: true },
])('follower with vote $vote answers a vote request from $nvote: reject=$wreject', ({ vote, nvote, wreject }) => {
  const n = newTestNode(1, { hardState: { term: 1, vote, commit: 0 } });
  n.node.step(createMessage({ type: MessageType.MsgVote, from: nvote, to: 1, term: 1 }));
  const resps = flush(n).filter((m) => m.type === MessageType.MsgVoteResp);
  expect(resps.map((m) => ({ to: m.to, term: m.term, reject: m.reject }))).toEqual([{ to: nvote, term: 1, reject: wreject }]);
  expect(n.node.status().vote).toBe(wreject ? vote : nvote);
});

test('first come, first served: the second candidate of a term is refused', () => {
  const n = newTestNode(1);
  n.node.step(createMessage({ type: MessageType.MsgVote, from: 2, to: 1, term: 1 }));
  n.node.step(createMessage({ type: MessageType.MsgVote, from: 3, to: 1, term: 1 }));
  const resps = flush(n).filter((m) => m.type === MessageType.MsgVoteResp);
  expect(resps.map((m) => ({ to: m.to, reject: m.reject }))).toEqual([
    { to: 2, reject: false },
    { to: 3, reject: true },
  ]);
  // The vote survives a restart: it was in the persisted hard state.
  expect(n.storage.initialState().hardState.vote).toBe(2);
});

// "While waiting for votes, a candidate may receive an AppendEntries RPC from another server
// claiming to be leader. If the leader's term ... is at least as large as the candidate's
// current term, then the candidate recognizes the leader as legitimate and returns to
// follower state."
test.each([{ term: 1 }, { term: 2 }])('candidate falls back to follower on MsgApp of term $term', ({ term }) => {
  const n = newTestNode(1);
  n.node.campaign();
  flush(n);
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term, index: 0, logTerm: 0 }));
  const st = n.node.status();
  expect(st.raftState).toBe(StateType.Follower);
  expect(st.term).toBe(term);
  expect(st.lead).toBe(2);
  expect(flush(n).some((m) => m.type === MessageType.MsgAppResp && !m.reject && m.to === 2)).toBe(true);
});

/** Ticks a follower until it campaigns and returns how many ticks that took. */
function ticksToCampaign(n: HarnessNode): number {
  const term = n.node.status().term;
  for (let k = 1; k <= 100; k++) {
    n.node.tick();
    if (n.node.status().term > term) return k;
  }
  throw new Error('no election');
}

// "Raft uses randomized election timeouts ... election timeouts are chosen randomly from a
// fixed interval (e.g., 150–300ms)."
test('randomized election timeouts fall in [et, 2et) and cover the range', () => {
  const et = 10;
  const seen = new Set<number>();
  for (let seed = 1; seed <= 300; seed++) {
    const n = newTestNode(1, { config: { electionTick: et, seed } });
    const k = ticksToCampaign(n);
    expect(k).toBeGreaterThanOrEqual(et);
    expect(k).toBeLessThan(2 * et);
    seen.add(k);
  }
  expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: et }, (_, i) => et + i));
});

// "This spreads out the servers so that in most cases only a single server will time out."
test('randomized election timeouts rarely conflict across nodes', () => {
  const et = 10;
  const rounds = 1000;
  const nodes = [1, 2, 3, 4, 5].map((id) => newTestNode(id, { voters: [1, 2, 3, 4, 5], config: { electionTick: et, seed: id * 7919 } }));
  let conflicts = 0;
  for (let r = 0; r < rounds; r++) {
    const ks = nodes.map((n) => ticksToCampaign(n));
    const min = Math.min(...ks);
    if (ks.filter((k) => k === min).length > 1) conflicts++;
  }
  // With 5 nodes and 10 values the first timeout is shared about a quarter of the time.
  expect(conflicts / rounds).toBeLessThan(0.3);
  expect(conflicts).toBeGreaterThan(0);
});
