import { expect, test } from 'vitest';
import {
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChangeV2,
  type ConfChangeV2,
} from '../../src/raft/conf-change.js';
import { EntryType } from '../../src/raft/entry.js';
import type { Message } from '../../src/raft/messages.js';
import { RaftHarness } from '../helpers/raft-harness.js';

const { ConfChangeAddNode: add, ConfChangeRemoveNode: remove, ConfChangeAddLearnerNode: addLearner } = ConfChangeType;

/** (1,2,3) with 4 and 5 started empty, knowing the initial configuration. */
function cluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a');
  h.addNode(4, [1, 2, 3]);
  h.addNode(5, [1, 2, 3]);
  return h;
}

function replaceTwo(transition: ConfChangeV2['transition']): ConfChangeV2 {
  return {
    transition,
    changes: [
      { type: add, nodeId: 4 },
      { type: add, nodeId: 5 },
      { type: remove, nodeId: 2 },
      { type: remove, nodeId: 3 },
    ],
  };
}

function v2Entries(h: RaftHarness, id: number): ConfChangeV2[] {
  return h.get(id).applied.filter((e) => e.type === EntryType.EntryConfChangeV2).map((e) => decodeConfChangeV2(e.data));
}

test.each([
  { transition: ConfChangeTransition.ConfChangeTransitionAuto, name: 'auto' },
  { transition: ConfChangeTransition.ConfChangeTransitionJointImplicit, name: 'joint implicit' },
])('joint change ($name) with several changes enters joint and the leader leaves it automatically', ({ transition }) => {
  const h = cluster();
  h.get(1).node.proposeConfChange(replaceTwo(transition));
  h.stabilize();
  h.tickAll(2);
  // Two V2 entries were applied: the change itself, then the empty leave proposed by the leader.
  const ccs = v2Entries(h, 1);
  expect(ccs).toHaveLength(2);
  expect(ccs[0]?.changes).toHaveLength(4);
  expect(ccs[1]?.changes).toEqual([]);
  expect(h.get(1).confState).toEqual({ voters: [1, 4, 5], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
  expect(h.get(4).confState).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [] });
  expect(h.appliedData(5)).toEqual(['a']);
});

test('joint config with auto leave is joint right after the change is applied', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange(replaceTwo(ConfChangeTransition.ConfChangeTransitionAuto));
  // Process until the leader has applied the first V2 entry and no further.
  for (let i = 0; i < 50 && v2Entries(h, 1).length === 0; i++) {
    h.processReadies();
    h.deliver();
  }
  const joint = h.get(1).confState;
  expect(joint).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [1, 2, 3], autoLeave: true });
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ votersOutgoing: [], autoLeave: false });
});

test('explicit joint change stays joint until an empty ConfChangeV2 is proposed', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange(replaceTwo(ConfChangeTransition.ConfChangeTransitionJointExplicit));
  h.stabilize();
  h.tickAll(3);
  expect(v2Entries(h, 1)).toHaveLength(1);
  expect(h.get(1).confState).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [1, 2, 3], autoLeave: false });
  h.get(1).node.proposeConfChange({ transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] });
  h.stabilize();
  expect(v2Entries(h, 1)).toHaveLength(2);
  expect(h.get(1).confState).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [] });
});

test.each([
  { name: 'the incoming majority is cut off', cutOff: [4, 5], wcommits: false },
  { name: 'the outgoing majority is cut off', cutOff: [2, 3], wcommits: false },
  { name: 'one node of each side is cut off', cutOff: [3, 5], wcommits: true },
])('joint quorum needs both majorities: $name', ({ cutOff, wcommits }) => {
  const h = cluster();
  h.get(1).node.proposeConfChange(replaceTwo(ConfChangeTransition.ConfChangeTransitionJointExplicit));
  h.stabilize();
  h.tickAll(2);
  expect(h.get(1).confState).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [1, 2, 3] });
  for (const id of cutOff) h.isolate(id);
  const commit = h.get(1).node.status().commit;
  h.propose(1, 'b');
  h.tickNodes([1], 2);
  expect(h.get(1).node.status().commit > commit).toBe(wcommits);
  h.recover();
  h.tickAll(2);
  expect(h.appliedData(1)).toEqual(['a', 'b']);
});

test('joint change that demotes a voter keeps it voting until the joint config is left', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange({
    transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
    changes: [{ type: addLearner, nodeId: 3 }],
  });
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2], votersOutgoing: [1, 2, 3], learnersNext: [3], learners: [] });
  h.get(1).node.proposeConfChange({ transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] });
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2], votersOutgoing: [], learnersNext: [], learners: [3] });
  expect(h.get(3).node.internal.isLearner).toBe(true);
});

test('single-change V2 with the auto transition takes a single step', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange({ transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [{ type: add, nodeId: 4 }] });
  h.stabilize();
  expect(v2Entries(h, 1)).toHaveLength(1);
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2, 3, 4], votersOutgoing: [] });
});

test('new leader of an auto-leave joint config proposes the leave itself', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange({ transition: ConfChangeTransition.ConfChangeTransitionJointImplicit, changes: [{ type: add, nodeId: 4 }] });
  // Run until every voter applied the joint change; the leave the old leader proposes
  // (an empty V2 entry) never leaves it.
  const carriesLeave = (m: Message): boolean =>
    m.entries.some((e) => e.type === EntryType.EntryConfChangeV2 && decodeConfChangeV2(e.data).changes.length === 0);
  for (let i = 0; i < 50 && [1, 2, 3].some((id) => v2Entries(h, id).length === 0); i++) {
    h.processReadies();
    h.deliver((m) => !carriesLeave(m));
  }
  h.queue = [];
  h.isolate(1);
  expect([2, 3, 4].some((id) => h.get(id).node.internal.raftLog.allEntries().some((e) => carriesLeave({ entries: [e] } as Message)))).toBe(false);
  expect(h.get(2).confState).toMatchObject({ voters: [1, 2, 3, 4], votersOutgoing: [1, 2, 3], autoLeave: true });
  // 2 needs a majority of both (1,2,3,4) and (1,2,3): 2, 3 and 4.
  h.elect(2);
  expect(h.get(2).node.status().raftState).toBe(2);
  h.tickNodes([2, 3, 4], 2);
  expect(h.get(2).confState).toMatchObject({ voters: [1, 2, 3, 4], votersOutgoing: [], autoLeave: false });
  expect(h.get(3).confState).toMatchObject({ votersOutgoing: [] });
  // The leave entry was created by 2 in its own term.
  const leaves = h.get(2).applied.filter((e) => e.type === EntryType.EntryConfChangeV2 && decodeConfChangeV2(e.data).changes.length === 0);
  expect(leaves.map((e) => e.term)).toEqual([h.get(2).node.status().term]);
});
