import { expect, test } from 'vitest';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { bytes, electByVotes, ent, flush, newTestNode } from '../helpers/raft-harness.js';

// The Ready contract: state only when changed, mustSync when term/vote/entries change,
// "send now" messages apart from "send after persisting" ones, and one Ready at a time.

test('a fresh node has nothing ready', () => {
  const n = newTestNode(1);
  expect(n.node.hasReady()).toBe(false);
});

test('campaigning: softState and hardState change, MsgVote goes in messages, mustSync is set', () => {
  const n = newTestNode(1);
  n.node.campaign();
  const rd = n.node.ready();
  expect(rd.softState).toEqual({ lead: 0, raftState: StateType.Candidate });
  expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  expect(rd.mustSync).toBe(true);
  expect(rd.messages.map((m) => [m.type, m.to])).toEqual([
    [MessageType.MsgVote, 2],
    [MessageType.MsgVote, 3],
  ]);
  expect(rd.persistedMessages).toEqual([]); // the self-vote is counted on advance
  n.node.advance(rd);
  expect(n.node.hasReady()).toBe(false);
});

test('winning: softState changes, hardState does not, entries force mustSync, MsgApp goes in messages', () => {
  const n = newTestNode(1);
  n.node.campaign();
  flush(n);
  n.node.step(createMessage({ type: MessageType.MsgVoteResp, from: 2, to: 1, term: 1 }));
  const rd = n.node.ready();
  expect(rd.softState).toEqual({ lead: 1, raftState: StateType.Leader });
  expect(rd.hardState).toBeUndefined();
  expect(rd.entries.map((e) => [e.term, e.index])).toEqual([[1, 1]]);
  expect(rd.mustSync).toBe(true);
  expect(rd.messages.map((m) => [m.type, m.to])).toEqual([
    [MessageType.MsgApp, 2],
    [MessageType.MsgApp, 3],
  ]);
  n.node.advance(rd);
});

test('granting a vote: MsgVoteResp goes in persistedMessages with the new hardState', () => {
  const n = newTestNode(2);
  n.node.step(createMessage({ type: MessageType.MsgVote, from: 1, to: 2, term: 1 }));
  const rd = n.node.ready();
  expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  expect(rd.mustSync).toBe(true);
  expect(rd.messages).toEqual([]);
  expect(rd.persistedMessages.map((m) => [m.type, m.to, m.reject])).toEqual([[MessageType.MsgVoteResp, 1, false]]);
  n.node.advance(rd);
});

test('accepting an append: MsgAppResp goes in persistedMessages; a commit-only change needs no sync', () => {
  const n = newTestNode(2, { hardState: { term: 1, vote: 1, commit: 0 } });
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [ent(1, 1)], commit: 0 }));
  let rd = n.node.ready();
  expect(rd.softState).toEqual({ lead: 1, raftState: StateType.Follower });
  expect(rd.mustSync).toBe(true);
  expect(rd.hardState).toBeUndefined();
  expect(rd.persistedMessages.map((m) => [m.type, m.to, m.index])).toEqual([[MessageType.MsgAppResp, 1, 1]]);
  n.storage.append(rd.entries);
  n.node.advance(rd);
  // A heartbeat that only moves the commit index.
  n.node.step(createMessage({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 1, commit: 1 }));
  rd = n.node.ready();
  expect(rd.softState).toBeUndefined();
  expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 1 });
  expect(rd.mustSync).toBe(false);
  expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
  expect(rd.messages.map((m) => m.type)).toEqual([MessageType.MsgHeartbeatResp]);
  n.node.advance(rd);
  expect(n.node.status().applied).toBe(1);
});

test('each Ready has its own persistedMessages: emptying one after advance() changes no later Ready', () => {
  const n = newTestNode(2, { hardState: { term: 1, vote: 1, commit: 0 } });
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [ent(1, 1)], commit: 0 }));
  const first = n.node.ready();
  n.storage.append(first.entries);
  n.node.advance(first);
  n.node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 1, index: 1, logTerm: 1, entries: [ent(1, 2)], commit: 0 }));
  const second = n.node.ready();
  expect(second.persistedMessages).not.toBe(first.persistedMessages);
  first.persistedMessages.length = 0;
  first.persistedMessages.push(createMessage({ type: MessageType.MsgHeartbeatResp, from: 2, to: 1, term: 1 }));
  expect(second.persistedMessages.map((m) => [m.type, m.to, m.index])).toEqual([[MessageType.MsgAppResp, 1, 2]]);
  n.storage.append(second.entries);
  n.node.advance(second);
  expect(n.node.hasReady()).toBe(false);
});

test('ready() twice without advance() throws ERR_RAFT_INVARIANT', () => {
  const n = newTestNode(1);
  n.node.campaign();
  const rd = n.node.ready();
  expect(() => n.node.ready()).toThrow(expect.objectContaining({ code: 'ERR_RAFT_INVARIANT' }));
  n.node.advance(rd);
  n.node.step(createMessage({ type: MessageType.MsgVoteResp, from: 2, to: 1, term: 1 }));
  expect(() => n.node.ready()).not.toThrow();
});

test("a leader counts its own entry toward a commit only once the Ready that writes it is advanced (etcd 3.6's rule, not 3.4's)", () => {
  const n = newTestNode(1);
  electByVotes(n);
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 1 }));
  flush(n);
  expect(n.node.status().commit).toBe(1);
  n.node.propose(bytes('x'));
  const rd = n.node.ready();
  expect(rd.entries.map((e) => e.index)).toEqual([2]);
  // Follower 2 has entry 2 durable; the leader's own write of it is still in flight: one copy of three.
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 2 }));
  expect(n.node.status().commit).toBe(1);
  n.storage.append(rd.entries);
  n.node.advance(rd);
  expect(n.node.status().commit).toBe(2);
  const next = n.node.ready();
  expect(next.hardState?.commit).toBe(2);
  expect(next.committedEntries.map((e) => e.index)).toEqual([2]);
});
