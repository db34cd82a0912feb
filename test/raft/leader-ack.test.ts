import { expect, test } from 'vitest';
import { ConfChangeType, encodeConfChange } from '../../src/raft/conf-change.js';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { MessageType, createMessage, type Message } from '../../src/raft/messages.js';
import type { Ready } from '../../src/raft/ready.js';
import { bytes, electByVotes, ent, flush, newTestNode, type HarnessNode } from '../helpers/raft-harness.js';

// The leader's acknowledgement (src/raft/leader-ack.ts): with at most three voters, a follower
// that forwarded entries commits them once it holds them durably and the leader says it does.

const appResp = (from: number, to: number, term: number, index: number): Message => createMessage({ type: MessageType.MsgAppResp, from, to, term, index });
const leaderAcks = (ms: readonly Message[]): [number, number][] => ms.filter((m) => m.type === MessageType.MsgAppResp).map((m) => [m.to, m.index]);

/** A leader (node 1, term 1, entry 1 committed) of `voters`. */
function leader(voters = [1, 2, 3]): HarnessNode {
  const n = newTestNode(1, { voters });
  electByVotes(n);
  for (const v of voters) if (v !== 1) n.node.step(appResp(v, 1, 1, 1));
  flush(n);
  expect(n.node.status().commit).toBe(1);
  return n;
}

const forward = (n: HarnessNode, from: number): void =>
  n.node.step(createMessage({ type: MessageType.MsgProp, from, to: 1, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: bytes('x') }] }));

test("a leader acknowledges its durable write to the follower that forwarded the entries, before the commit, and only to it", () => {
  const n = leader();
  forward(n, 2);
  const rd = n.node.ready();
  expect(rd.entries.map((e) => e.index)).toEqual([2]);
  expect(leaderAcks(rd.messages)).toEqual([]); // not before its own write
  n.storage.append(rd.entries);
  n.node.advance(rd);
  expect(n.node.status().commit).toBe(1);
  const out = flush(n);
  expect(leaderAcks(out)).toEqual([[2, 2]]);
  expect(out.filter((m) => m.type === MessageType.MsgAppResp).every((m) => m.term === 1 && m.from === 1 && !m.reject)).toBe(true);
  // Once only: the next write (of the leader's own proposal) acknowledges nothing.
  n.node.propose(bytes('own'));
  expect(leaderAcks(flush(n))).toEqual([]);
});

test('a read that starts after the acknowledgement waits for its index, past the commit index', () => {
  const n = leader();
  forward(n, 2);
  flush(n);
  expect(n.node.status().commit).toBe(1);
  // Follower 2 may have answered its write (index 2) by now; a read must see it.
  n.node.readIndex(bytes('r'));
  const beats = flush(n).filter((m) => m.type === MessageType.MsgHeartbeat);
  n.node.step(createMessage({ type: MessageType.MsgHeartbeatResp, from: 3, to: 1, term: 1, context: beats[0]!.context }));
  flush(n);
  expect(n.node.status().commit).toBe(1);
  expect(n.readStates.map((rs) => rs.index)).toEqual([2]);
});

test('no acknowledgement when the commit index covers the entries by the end of the write, nor with more than three voters', () => {
  const n = leader();
  forward(n, 2);
  const rd = n.node.ready();
  n.node.step(appResp(3, 1, 1, 2)); // another follower's acknowledgement arrives during the write
  n.storage.append(rd.entries);
  n.node.advance(rd);
  expect(n.node.status().commit).toBe(2);
  const out = flush(n);
  expect(leaderAcks(out)).toEqual([]);
  expect(out.some((m) => m.type === MessageType.MsgApp && m.to === 2 && m.commit === 2)).toBe(true);

  const five = leader([1, 2, 3, 4, 5]);
  forward(five, 2);
  expect(leaderAcks(flush(five))).toEqual([]);
});

/** A follower (node 2 of 1, 2, 3; leader 1, term 2) holding entry 1 of term 1, committed, and `entries` after it, not yet written. */
function follower(entries: Entry[], voters = [1, 2, 3]): { n: HarnessNode; rd: Ready } {
  const n = newTestNode(2, { voters, logTerms: [1], hardState: { term: 2, vote: 1, commit: 1 } });
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 2, index: 1, logTerm: 1, entries, commit: 1 }));
  return { n, rd: n.node.ready() };
}
const write = (n: HarnessNode, rd: Ready): void => {
  n.storage.append(rd.entries);
  if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
  n.node.advance(rd);
};

test('a follower commits with the leader\'s acknowledgement once its own write is durable, whichever comes first', () => {
  // The acknowledgement first: nothing until the follower's own write ends.
  const a = follower([ent(2, 2), ent(2, 3)]);
  a.n.node.step(appResp(1, 2, 2, 2));
  expect(a.n.node.status().commit).toBe(1);
  write(a.n, a.rd);
  expect(a.n.node.status().commit).toBe(2); // min(leader's 2, own 3)
  expect(a.n.node.ready().committedEntries.map((e) => e.index)).toEqual([2]);
  // The write first.
  const b = follower([ent(2, 2)]);
  write(b.n, b.rd);
  expect(b.n.node.status().commit).toBe(1);
  b.n.node.step(appResp(1, 2, 2, 5)); // the leader holds more than this follower: its own last index bounds the commit
  expect(b.n.node.status().commit).toBe(2);
});

test('a follower ignores the acknowledgement from another member, of an earlier term, for entries of an earlier term, or with five voters', () => {
  const notLeader = follower([ent(2, 2)]);
  write(notLeader.n, notLeader.rd);
  notLeader.n.node.step(appResp(3, 2, 2, 2));
  expect(notLeader.n.node.status().commit).toBe(1);
  notLeader.n.node.step(appResp(1, 2, 1, 2)); // a stale term
  expect(notLeader.n.node.status().commit).toBe(1);

  // Entry 2 of term 1 (an earlier leader's): §5.4.2 counts replicas of the current term's entries only.
  const old = follower([ent(1, 2)]);
  write(old.n, old.rd);
  old.n.node.step(appResp(1, 2, 2, 2));
  expect(old.n.node.status().commit).toBe(1);

  const five = follower([ent(2, 2)], [1, 2, 3, 4, 5]);
  write(five.n, five.rd);
  five.n.node.step(appResp(1, 2, 2, 2));
  expect(five.n.node.status().commit).toBe(1);
});

test('a follower does not count with the leader while a conf change in its log is unapplied; it does once applied', () => {
  const addLearner = encodeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  const addVoter = encodeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 4 });
  const cc = (index: number, data: Uint8Array): Entry => ({ term: 2, index, type: EntryType.EntryConfChange, data });
  // Adding a learner keeps three voters: once the change is applied, the pair counts again.
  const { n, rd } = follower([cc(2, addLearner), ent(2, 3)]);
  write(n, rd);
  n.node.step(appResp(1, 2, 2, 3));
  expect(n.node.status().commit).toBe(1);
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 2, index: 3, logTerm: 2, entries: [], commit: 2 }));
  flush(n); // applies the change at 2, then counts the pair for 3
  expect(n.applied.map((e) => e.index)).toEqual([2, 3]);
  expect(n.node.status().commit).toBe(3);
  // Adding a voter makes four: the pair is no majority, applied or not.
  const four = follower([cc(2, addVoter), ent(2, 3)]);
  write(four.n, four.rd);
  four.n.node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 2, index: 3, logTerm: 2, entries: [], commit: 2 }));
  flush(four.n);
  four.n.node.step(appResp(1, 2, 2, 3));
  expect(four.n.node.status().commit).toBe(2);
});

test('a node that restarts does not count with the leader until it applied what its log held', () => {
  const n = newTestNode(2, { logTerms: [1, 2, 2], hardState: { term: 2, vote: 1, commit: 1 } });
  n.node.step(createMessage({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 2, commit: 1 }));
  flush(n);
  n.node.step(appResp(1, 2, 2, 3));
  expect(n.node.status().commit).toBe(1); // entries 2 and 3 may hold a conf change it has not seen arrive
});
