import { expect, test } from 'vitest';
import { EntryType } from '../../src/raft/entry.js';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, bytes, electByVotes, ent, flush, newTestNode, type HarnessNode } from '../helpers/raft-harness.js';

// Raft paper §5.3 "Log replication".

function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** A leader of `voters` at term 1 whose empty entry (index 1) is committed. */
function leaderWithCommittedNoop(voters = [1, 2, 3]): HarnessNode {
  const n = newTestNode(1, { voters });
  electByVotes(n);
  for (const v of voters) if (v !== 1) n.node.step(createMessage({ type: MessageType.MsgAppResp, from: v, to: 1, term: 1, index: 1 }));
  flush(n);
  expect(n.node.status().commit).toBe(1);
  return n;
}

// "Once a leader has been elected, it begins servicing client requests. Each client request
// contains a command to be executed by the replicated state machines. The leader appends the
// command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of
// the other servers to replicate the entry."
test('leader appends a proposal to its log and sends it to every follower', () => {
  const n = leaderWithCommittedNoop();
  n.node.propose(bytes('some data'));
  const rd = n.node.ready();
  expect(rd.entries.map((e) => [e.term, e.index])).toEqual([[1, 2]]);
  const apps = rd.messages.filter((m) => m.type === MessageType.MsgApp);
  expect(apps.map((m) => ({ to: m.to, term: m.term, index: m.index, logTerm: m.logTerm, commit: m.commit }))).toEqual([
    { to: 2, term: 1, index: 1, logTerm: 1, commit: 1 },
    { to: 3, term: 1, index: 1, logTerm: 1, commit: 1 },
  ]);
  for (const m of apps) expect(new TextDecoder().decode(m.entries[0]!.data)).toBe('some data');
  n.node.advance(rd);
  expect(n.node.status().commit).toBe(1); // not committed until a quorum acknowledges it
});

// "A log entry is committed once the leader that created the entry has replicated it on a
// majority of the servers ... Once the follower learns that a log entry is committed, it
// applies the entry to its local state machine."
test('leader commits an entry once a majority acknowledges it, and tells the followers', () => {
  const n = leaderWithCommittedNoop();
  n.node.propose(bytes('some data'));
  flush(n);
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 2 }));
  const rd = n.node.ready();
  expect(n.node.status().commit).toBe(2);
  expect(rd.committedEntries.map((e) => [e.term, e.index])).toEqual([[1, 2]]);
  // The follower that is behind on the commit index learns it at once.
  const apps = rd.messages.filter((m) => m.type === MessageType.MsgApp);
  expect(apps.length).toBeGreaterThan(0);
  for (const m of apps) expect(m.commit).toBe(2);
  n.node.advance(rd);
});

// "The leader decides when it is safe to apply a log entry to the state machines; such an
// entry is called committed."
test.each([
  { size: 1, acceptors: [], wack: true },
  { size: 3, acceptors: [], wack: false },
  { size: 3, acceptors: [2], wack: true },
  { size: 3, acceptors: [2, 3], wack: true },
  { size: 5, acceptors: [], wack: false },
  { size: 5, acceptors: [2], wack: false },
  { size: 5, acceptors: [2, 3], wack: true },
  { size: 5, acceptors: [2, 3, 4], wack: true },
  { size: 5, acceptors: [2, 3, 4, 5], wack: true },
])('leader commits with $size voters and acceptors $acceptors: $wack', ({ size, acceptors, wack }) => {
  const n = leaderWithCommittedNoop(ids(size));
  n.node.propose(bytes('some data'));
  flush(n);
  for (const a of acceptors) n.node.step(createMessage({ type: MessageType.MsgAppResp, from: a, to: 1, term: 1, index: 2 }));
  flush(n);
  expect(n.node.status().commit >= 2).toBe(wack);
});

// "This also commits all preceding entries in the leader's log, including entries created by
// previous leaders."
test('committing a current-term entry commits the preceding entries of older terms', () => {
  const tests = [[], [2], [1, 1], [1, 2], [1, 1, 2]];
  for (const logTerms of tests) {
    const n = newTestNode(1, { logTerms, hardState: { term: 2, vote: 0, commit: 0 } });
    electByVotes(n);
    expect(n.node.status().term).toBe(3);
    n.node.propose(bytes('some data'));
    flush(n);
    const li = logTerms.length + 2;
    for (const v of [2, 3]) n.node.step(createMessage({ type: MessageType.MsgAppResp, from: v, to: 1, term: 3, index: li }));
    flush(n);
    expect(n.node.status().commit).toBe(li);
    const applied = n.applied.map((e) => [e.term, e.index]);
    expect(applied).toEqual([...logTerms.map((t, i) => [t, i + 1]), [3, li - 1], [3, li]]);
  }
});

// "Once a follower learns that a log entry is committed, it applies the entry to its local
// state machine (in log order)."
test.each([
  { ents: [ent(1, 1, 'some data')], commit: 1 },
  { ents: [ent(1, 1, 'some data'), ent(1, 2, 'some data2')], commit: 2 },
  { ents: [ent(1, 1, 'some data2'), ent(1, 2, 'some data')], commit: 2 },
  { ents: [ent(1, 1, 'some data'), ent(1, 2, 'some data2')], commit: 1 },
])('follower applies entries up to the leader commit $commit', ({ ents, commit }) => {
  const n = newTestNode(1, { hardState: { term: 1, vote: 0, commit: 0 } });
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 1, index: 0, logTerm: 0, entries: ents, commit }));
  flush(n);
  expect(n.node.status().commit).toBe(commit);
  expect(n.applied.map((e) => e.index)).toEqual(ents.slice(0, commit).map((e) => e.index));
});

// "When sending an AppendEntries RPC, the leader includes the index and term of the entry in
// its log that immediately precedes the new entries. If the follower does not find an entry
// in its log with the same index and term, then it refuses the new entries."
test.each([
  // the prev index is at or below the commit index: answered with the commit index
  { term: 0, index: 0, windex: 1, wreject: false, whint: 0, wlogTerm: 0 },
  { term: 1, index: 1, windex: 1, wreject: false, whint: 0, wlogTerm: 0 },
  { term: 2, index: 2, windex: 2, wreject: false, whint: 0, wlogTerm: 0 },
  { term: 1, index: 2, windex: 2, wreject: true, whint: 1, wlogTerm: 1 },
  { term: 3, index: 3, windex: 3, wreject: true, whint: 2, wlogTerm: 2 },
])('follower checks MsgApp prev (term $term, index $index): reject=$wreject', ({ term, index, windex, wreject, whint, wlogTerm }) => {
  const n = newTestNode(1, { logTerms: [1, 2], hardState: { term: 2, vote: 0, commit: 1 } });
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 2, logTerm: term, index, commit: 1 }));
  const resps = flush(n).filter((m) => m.type === MessageType.MsgAppResp);
  expect(resps.map((m) => ({ index: m.index, reject: m.reject, hint: m.rejectHint, logTerm: m.logTerm }))).toEqual([
    { index: windex, reject: wreject, hint: whint, logTerm: wlogTerm },
  ]);
});

// "If an existing entry conflicts with a new one (same index but different terms), delete the
// existing entry and all that follow it; append any new entries not already in the log."
test.each([
  { index: 2, logTerm: 2, ents: [ent(3, 3)], wterms: [1, 2, 3] },
  { index: 1, logTerm: 1, ents: [ent(3, 2), ent(4, 3)], wterms: [1, 3, 4] },
  { index: 0, logTerm: 0, ents: [ent(1, 1)], wterms: [1, 2] },
  { index: 0, logTerm: 0, ents: [ent(3, 1)], wterms: [3] },
])('follower appends after ($index, $logTerm), truncating conflicts', ({ index, logTerm, ents, wterms }) => {
  const n = newTestNode(1, { logTerms: [1, 2], hardState: { term: 2, vote: 0, commit: 0 } });
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 2, logTerm, index, entries: ents }));
  flush(n);
  const stored = n.storage.entries(1, n.storage.lastIndex() + 1, Infinity);
  expect(stored.map((e) => e.term)).toEqual(wterms);
});

// "The leader handles inconsistencies by forcing the followers' logs to duplicate its own ...
// After a rejection, the leader decrements nextIndex and retries the AppendEntries RPC.
// Eventually nextIndex will reach a point where the leader and follower logs match."
// The followers (a)–(f) of the paper's Figure 7.
const figure7 = [
  { name: 'a', terms: [1, 1, 1, 4, 4, 5, 5, 6, 6] },
  { name: 'b', terms: [1, 1, 1, 4] },
  { name: 'c', terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6] },
  { name: 'd', terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7] },
  { name: 'e', terms: [1, 1, 1, 4, 4, 4, 4] },
  { name: 'f', terms: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3] },
];

test.each(figure7)('leader brings Figure 7 follower ($name) in line with its log', ({ terms }) => {
  const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const h = new RaftHarness({ voters: [1, 2, 3] });
  const mk = (id: number, logTerms: number[]): void => {
    const n = newTestNode(id, { logTerms, hardState: { term: 7, vote: 0, commit: 0 } });
    h.nodes.set(id, n);
  };
  mk(1, leaderTerms);
  mk(2, terms);
  // Node 3 stands for a server that granted its vote and then went silent.
  mk(3, leaderTerms);
  h.isolate(3);
  h.get(1).node.campaign();
  h.stabilize();
  h.get(1).node.step(createMessage({ type: MessageType.MsgVoteResp, from: 3, to: 1, term: 8 }));
  h.stabilize();
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
  h.get(1).node.propose(bytes('x'));
  h.stabilize();
  const log = (id: number): Array<[number, number]> => {
    const s = h.get(id).storage;
    return s.entries(1, s.lastIndex() + 1, Infinity).map((e): [number, number] => [e.index, e.term]);
  };
  expect(log(2)).toEqual(log(1));
  expect(log(1).map(([, t]) => t)).toEqual([...leaderTerms, 8, 8]);
  expect(h.get(1).node.status().commit).toBe(12);
  expect(h.get(2).applied.filter((e) => e.type === EntryType.EntryNormal).length).toBe(12);
});
