import { expect, test } from 'vitest';
import { ConfChangeType } from '../../src/raft/conf-change.js';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

test('learner that times out does not campaign', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  const n3 = h.get(3);
  for (let i = 0; i < 50; i++) n3.node.tick();
  expect(n3.node.hasReady()).toBe(false);
  expect(n3.node.status()).toMatchObject({ raftState: StateType.Follower, term: 0, vote: 0 });
  n3.node.campaign();
  expect(n3.node.status()).toMatchObject({ raftState: StateType.Follower, term: 0 });
});

test('learner is not asked for a vote and cannot help elect a leader', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  h.isolate(2);
  h.get(1).node.campaign();
  h.processReadies();
  expect(h.queue.filter((m) => m.type === MessageType.MsgVote).map((m) => m.to)).toEqual([2]);
  h.stabilize();
  expect(h.get(1).node.status().raftState).toBe(StateType.Candidate);
});

test('learner receives and applies the log', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], learners: [4] });
  h.elect(1);
  h.propose(1, 'a', 'b', 'c');
  expect(h.appliedData(4)).toEqual(['a', 'b', 'c']);
  expect(h.get(4).node.status()).toMatchObject({ lead: 1, commit: h.get(1).node.status().commit });
  expect(h.get(1).node.status().progress?.get(4)).toMatchObject({ isLearner: true, state: 'replicate' });
});

test('entries commit with every learner lagging', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], learners: [4, 5] });
  h.elect(1);
  h.isolate(4);
  h.isolate(5);
  h.propose(1, 'a');
  expect(h.appliedData(1)).toEqual(['a']);
  expect(h.appliedData(4)).toEqual([]);
});

test('learner acks are not counted toward the commit quorum', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3, 4, 5] });
  h.elect(1);
  const commit = h.get(1).node.status().commit;
  h.isolate(2);
  h.propose(1, 'a');
  // Every learner holds the entry, but only one of the two voters does.
  for (const id of [3, 4, 5]) expect(h.get(1).node.status().progress?.get(id)?.match).toBe(commit + 1);
  expect(h.get(1).node.status().commit).toBe(commit);
  h.recover();
  h.tickAll(1);
  expect(h.get(1).node.status().commit).toBe(commit + 1);
});

test('learner promoted by a conf change counts toward quorum and may campaign', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  h.elect(1);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 3 });
  h.stabilize();
  for (const id of [1, 2, 3]) expect(h.get(id).confState).toMatchObject({ voters: [1, 2, 3], learners: [] });
  expect(h.get(1).node.status().progress?.get(3)?.isLearner).toBe(false);
  // 1 and 3 are a quorum of three now.
  h.isolate(2);
  const commit = h.get(1).node.status().commit;
  h.propose(1, 'with 3');
  expect(h.get(1).node.status().commit).toBe(commit + 1);
  // And 3 can become leader.
  h.recover();
  h.elect(3);
  expect(h.get(3).node.status().raftState).toBe(StateType.Leader);
});

test('voter demoted to learner stops counting toward quorum', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 3 });
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2], learners: [3] });
  h.isolate(2);
  const commit = h.get(1).node.status().commit;
  h.get(1).node.propose(bytes('x'));
  h.stabilize();
  expect(h.get(1).node.status().commit).toBe(commit);
  expect(h.get(3).node.internal.promotable()).toBe(false);
});

test('learner ignores MsgTimeoutNow', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  h.elect(1);
  const term = h.get(3).node.status().term;
  h.get(3).node.step(createMessage({ type: MessageType.MsgTimeoutNow, from: 1, to: 3, term }));
  h.stabilize();
  expect(h.get(3).node.status()).toMatchObject({ raftState: StateType.Follower, term, lead: 1 });
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
});
