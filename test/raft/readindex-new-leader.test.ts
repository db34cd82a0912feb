import { expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';
import { committedEntryInCurrentTerm } from '../../src/raft/read-index.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * After 1 led term 1, node 2 wins term 2 and heartbeats (so everyone knows it leads), but
 * none of its appends are delivered, so its empty entry of term 2 is not committed.
 */
function leaderWithoutCommitInTerm(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a');
  h.get(2).node.campaign();
  for (let i = 0; i < 10; i++) {
    h.processReadies();
    h.deliver((m) => m.type !== MessageType.MsgApp);
  }
  h.get(2).node.tick();
  for (let i = 0; i < 10; i++) {
    h.processReadies();
    h.deliver((m) => m.type !== MessageType.MsgApp);
  }
  h.queue = [];
  expect(h.get(3).node.status().lead).toBe(2);
  const s = h.get(2).node.status();
  expect(s.raftState).toBe(2);
  expect(committedEntryInCurrentTerm(h.get(2).node.internal)).toBe(false);
  return h;
}

test('new leader defers read index until an entry of its term commits', () => {
  const h = leaderWithoutCommitInTerm();
  const n2 = h.get(2);
  n2.node.readIndex(bytes('r1'));
  h.processReadies();
  // No heartbeat round has started for the read, and nothing is answered.
  expect(h.queue.filter((m) => m.context !== undefined && m.context.length > 0)).toEqual([]);
  expect(n2.readStates).toEqual([]);
  expect(n2.node.internal.pendingReadIndexMessages).toHaveLength(1);

  // A heartbeat makes the followers catch up; the empty entry commits and the read proceeds.
  h.tickNodes([2], 1);
  const commit = n2.node.status().commit;
  expect(n2.node.internal.raftLog.term(commit)).toBe(n2.node.status().term);
  expect(n2.readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }))).toEqual([{ index: commit, ctx: 'r1' }]);
  expect(n2.node.internal.pendingReadIndexMessages).toEqual([]);
});

test('new leader defers a forwarded read index until an entry of its term commits', () => {
  const h = leaderWithoutCommitInTerm();
  h.get(3).node.readIndex(bytes('f1'));
  for (let i = 0; i < 5; i++) {
    h.processReadies();
    h.deliver((m) => m.type !== MessageType.MsgApp);
  }
  expect(h.get(3).readStates).toEqual([]);
  expect(h.get(2).node.internal.pendingReadIndexMessages).toHaveLength(1);
  h.stabilize();
  h.tickNodes([2], 1);
  const commit = h.get(2).node.status().commit;
  expect(h.get(3).readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }))).toEqual([{ index: commit, ctx: 'f1' }]);
});

test('single-voter cluster answers read index at once', () => {
  const h = new RaftHarness({ voters: [1] });
  h.elect(1);
  h.propose(1, 'a');
  const n1 = h.get(1);
  n1.node.readIndex(bytes('solo'));
  expect(n1.node.hasReady()).toBe(true);
  const rd = n1.node.ready();
  expect(rd.readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }))).toEqual([{ index: 2, ctx: 'solo' }]);
  expect(rd.messages).toEqual([]);
  n1.node.advance(rd);
});

test('single voter with learners answers read index at once', () => {
  const h = new RaftHarness({ voters: [1], learners: [2] });
  h.elect(1);
  h.get(1).node.readIndex(bytes('solo'));
  h.processReadies();
  expect(h.queue.filter((m) => m.type === MessageType.MsgHeartbeat)).toEqual([]);
  expect(h.get(1).readStates).toHaveLength(1);
});
