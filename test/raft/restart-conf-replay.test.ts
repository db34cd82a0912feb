import { expect, test } from 'vitest';
import { ConfChangeTransition, ConfChangeType } from '../../src/raft/conf-change.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { RaftHarness } from '../helpers/raft-harness.js';

// A restarted node is told `applied`; its storage's ConfState is as of the storage's
// snapshot. The conf changes logged between the two must be re-applied, or the node would
// restart with a stale configuration that no later entry repairs.

function grown(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.addNode(4, [1, 2, 3]);
  h.elect(1);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  h.stabilize();
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 4 });
  h.stabilize();
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3 });
  h.stabilize();
  return h;
}

test('a node restarted with applied re-applies the logged conf changes after its snapshot', () => {
  const h = grown();
  const before = h.get(2).node.status().config;
  expect(before.voters).toEqual([1, 2, 4]);
  const applied = h.get(2).node.status().applied;
  const node = new RaftNode({ id: 2, storage: h.get(2).storage, applied, seed: 2 });
  expect(node.status().config).toEqual(before);
  // Nothing is handed out again.
  expect(node.hasReady() ? node.ready().committedEntries : []).toEqual([]);
});

test('conf changes after applied are not replayed at restart; they are applied as usual', () => {
  const h = grown();
  const storage = h.get(2).storage;
  // Restart as if the application had applied only up to the learner addition.
  const ents = h.get(2).node.internal.raftLog.allEntries();
  const learnerIdx = ents.find((e) => e.type !== 0)!.index;
  const node = new RaftNode({ id: 2, storage, applied: learnerIdx, seed: 2 });
  expect(node.status().config.voters).toEqual([1, 2, 3]);
  expect(node.status().config.learners).toEqual([4]);
  const rd = node.ready();
  expect(rd.committedEntries.filter((e) => e.type !== 0).length).toBe(2);
});

test('a joint configuration entered after the snapshot is restored as joint', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.addNode(4, [1, 2, 3]);
  h.elect(1);
  h.get(1).node.proposeConfChange({
    transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
    changes: [
      { type: ConfChangeType.ConfChangeAddNode, nodeId: 4 },
      { type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3 },
    ],
  });
  h.stabilize();
  const st = h.get(2).node.status();
  expect(st.config.votersOutgoing).toEqual([1, 2, 3]);
  const node = new RaftNode({ id: 2, storage: h.get(2).storage, applied: st.applied, seed: 2 });
  expect(node.status().config).toEqual(st.config);
});
