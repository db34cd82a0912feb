import { expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness } from '../helpers/raft-harness.js';

// CheckQuorum (Raft thesis §6.2): a leader that cannot hear from a quorum within an election
// timeout steps down, so clients can find the real leader.

test('a leader cut off from the quorum steps down within two election timeouts', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { checkQuorum: true } });
  h.elect(1);
  h.isolate(1);
  // The first check may still count activity from before the partition.
  h.tickNode(1, 10);
  h.tickNode(1, 10);
  const st = h.get(1).node.status();
  expect(st.raftState).toBe(StateType.Follower);
  expect(st.lead).toBe(0);
  expect(st.term).toBe(1); // stepping down does not bump the term
});

test('a leader that hears from one follower of three keeps leading', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { checkQuorum: true } });
  h.elect(1);
  h.isolate(3);
  h.tickNodes([1, 2], 50);
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
});

test('a connected leader never steps down under checkQuorum', () => {
  const h = new RaftHarness({ voters: [1, 2, 3, 4, 5], config: { checkQuorum: true } });
  h.elect(1);
  h.tickAll(100);
  expect(h.leader()?.id).toBe(1);
  expect(h.get(1).node.status().term).toBe(1);
});

test('without checkQuorum an isolated leader keeps believing it leads', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.isolate(1);
  h.tickNode(1, 50);
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
});
