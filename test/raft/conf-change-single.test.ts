import { expect, test } from 'vitest';
import { ConfChangeType, decodeConfChange } from '../../src/raft/conf-change.js';
import { EntryType } from '../../src/raft/entry.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

function cluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a');
  return h;
}

test('add voter: the conf change commits, is applied everywhere and the new node catches up', () => {
  const h = cluster();
  // Node 4 starts with the cluster's initial configuration and an empty log.
  h.addNode(4, [1, 2, 3]);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 4 });
  h.stabilize();
  const cc = h.get(1).applied.filter((e) => e.type === EntryType.EntryConfChange).map((e) => decodeConfChange(e.data));
  expect(cc).toEqual([{ type: ConfChangeType.ConfChangeAddNode, nodeId: 4 }]);
  for (const id of [1, 2, 3]) expect(h.get(id).confState).toMatchObject({ voters: [1, 2, 3, 4], learners: [] });
  // The leader replicates to 4 once it is in the configuration.
  h.tickAll(2);
  expect(h.get(4).confState).toMatchObject({ voters: [1, 2, 3, 4] });
  expect(h.appliedData(4)).toEqual(['a']);
  // Four voters: a quorum is three.
  h.isolate(3);
  h.isolate(4);
  const commit = h.get(1).node.status().commit;
  h.propose(1, 'b');
  expect(h.get(1).node.status().commit).toBe(commit);
});

test('add learner: the learner joins without changing the quorum', () => {
  const h = cluster();
  h.addNode(4, [1, 2, 3]);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  h.stabilize();
  h.tickAll(2);
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2, 3], learners: [4] });
  expect(h.get(4).confState).toMatchObject({ voters: [1, 2, 3], learners: [4] });
  expect(h.appliedData(4)).toEqual(['a']);
  h.isolate(3);
  h.propose(1, 'b'); // 1 and 2 are still a quorum of three voters
  expect(h.appliedData(2)).toEqual(['a', 'b']);
});

test('remove voter: the removed node is no longer replicated to and the quorum shrinks', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3 });
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2] });
  expect(h.get(1).node.status().progress?.has(3)).toBe(false);
  h.propose(1, 'b');
  expect(h.queue.filter((m) => m.to === 3)).toEqual([]);
  expect(h.appliedData(2)).toEqual(['a', 'b']);
  // With two voters both are needed.
  h.isolate(2);
  const commit = h.get(1).node.status().commit;
  h.propose(1, 'c');
  expect(h.get(1).node.status().commit).toBe(commit);
});

test('remove voter: applying the removal lets the leader commit what the smaller quorum holds', () => {
  const h = new RaftHarness({ voters: [1, 2] });
  h.elect(1);
  const n1 = h.get(1);
  n1.node.proposeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 2 });
  h.processReadies(); // leader appends and sends the append to 2
  h.deliver();
  h.processReadies(); // 2 persists and acks
  h.deliver(); // the ack commits the removal on the leader (not applied yet)
  h.isolate(2);
  n1.node.propose(bytes('x')); // needs 2's ack under the old configuration
  h.stabilize(); // applying the removal makes 1 the only voter: 'x' commits
  expect(n1.confState).toMatchObject({ voters: [1] });
  expect(h.appliedData(1)).toEqual(['x']);
});

test('promote learner: the learner becomes a voter', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  h.elect(1);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 3 });
  h.stabilize();
  expect(h.get(3).confState).toMatchObject({ voters: [1, 2, 3], learners: [] });
  expect(h.get(3).node.internal.isLearner).toBe(false);
  expect(h.get(3).node.internal.promotable()).toBe(true);
});

test('conf change proposed on a follower is forwarded and applied', () => {
  const h = cluster();
  h.get(2).node.proposeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3 });
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2] });
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
});
