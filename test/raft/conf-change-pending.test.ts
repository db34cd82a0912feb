import { expect, test } from 'vitest';
import { ConfChangeTransition, ConfChangeType, type AnyConfChange } from '../../src/raft/conf-change.js';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { MessageType } from '../../src/raft/messages.js';
import { RaftHarness } from '../helpers/raft-harness.js';

const leave: AnyConfChange = { transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] };

function cluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  return h;
}

/** Proposes a conf change on the leader and returns the entry it became in the leader's log. */
function proposeCC(h: RaftHarness, cc: AnyConfChange): Entry {
  const r = h.get(1).node.internal;
  h.get(1).node.proposeConfChange(cc);
  const last = r.raftLog.lastIndex();
  const e = r.raftLog.slice(last, last + 1, Infinity)[0];
  if (e === undefined) throw new Error('no entry');
  return e;
}

function committed(h: RaftHarness, index: number): Entry | undefined {
  return h.get(2).applied.find((e) => e.index === index);
}

test('second conf change proposed while one is pending is replaced by an empty normal entry', () => {
  const h = cluster();
  const first = proposeCC(h, { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  const second = proposeCC(h, { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 5 });
  expect(second.index).toBe(first.index + 1);
  h.stabilize();
  expect(committed(h, first.index)?.type).toBe(EntryType.EntryConfChange);
  // The refused change still occupies its index, as an empty normal entry.
  expect(committed(h, second.index)).toMatchObject({ type: EntryType.EntryNormal, data: new Uint8Array(0) });
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2, 3], learners: [4] });
});

test('conf change is accepted again once the pending one is applied', () => {
  const h = cluster();
  proposeCC(h, { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  h.stabilize();
  const next = proposeCC(h, { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 5 });
  expect(next.type).toBe(EntryType.EntryConfChange);
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ learners: [4, 5] });
});

test('empty conf change is refused when the config is not joint', () => {
  const h = cluster();
  const e = proposeCC(h, leave);
  expect(e).toMatchObject({ type: EntryType.EntryNormal, data: new Uint8Array(0) });
  h.stabilize();
  expect(committed(h, e.index)?.type).toBe(EntryType.EntryNormal);
  expect(h.get(1).node.status().config).toMatchObject({ voters: [1, 2, 3], votersOutgoing: [] });
});

test('non-empty conf change is refused while the config is joint', () => {
  const h = cluster();
  proposeCC(h, {
    transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
    changes: [{ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 }, { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 5 }],
  });
  h.stabilize();
  expect(h.get(1).confState?.votersOutgoing).toEqual([1, 2, 3]);
  const refused = proposeCC(h, { type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3 });
  expect(refused.type).toBe(EntryType.EntryNormal);
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2, 3], votersOutgoing: [1, 2, 3] });
  // Leaving is allowed.
  expect(proposeCC(h, leave).type).toBe(EntryType.EntryConfChangeV2);
  h.stabilize();
  expect(h.get(1).confState).toMatchObject({ voters: [1, 2, 3], votersOutgoing: [], learners: [4, 5] });
});

test('new leader refuses a conf change until the conf changes in its log tail are applied', () => {
  const h = cluster();
  // 1 appends a conf change that reaches 2 but is not committed.
  h.isolate(3);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  h.processReadies();
  h.deliver();
  h.processReadies();
  h.queue = [];
  h.recover();
  h.isolate(1);
  h.get(2).node.campaign();
  for (let i = 0; i < 10; i++) {
    h.processReadies();
    h.deliver((m) => m.type !== MessageType.MsgApp);
  }
  expect(h.get(2).node.status().raftState).toBe(2);
  // The uncommitted conf change is in 2's log, so a new one is refused.
  const r2 = h.get(2).node.internal;
  h.get(2).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 5 });
  const last = r2.raftLog.lastIndex();
  expect(r2.raftLog.slice(last, last + 1, Infinity)[0]?.type).toBe(EntryType.EntryNormal);
  h.tickNodes([2], 1); // a heartbeat resumes the paused probes
  expect(h.get(2).node.status().config).toMatchObject({ learners: [4] });
});
