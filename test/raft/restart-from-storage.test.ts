import { expect, test } from 'vitest';
import { ConfChangeType } from '../../src/raft/conf-change.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness } from '../helpers/raft-harness.js';

function cluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a', 'b', 'c');
  return h;
}

test('restarted follower keeps its hard state and committed log', () => {
  const h = cluster();
  const before = h.get(2).node.status();
  const log = h.get(2).node.internal.raftLog.allEntries();
  const n2 = h.restart(2);
  const after = n2.node.status();
  expect({ term: after.term, vote: after.vote, commit: after.commit }).toEqual({ term: before.term, vote: before.vote, commit: before.commit });
  expect(after.raftState).toBe(StateType.Follower);
  expect(after.lead).toBe(0);
  expect(n2.node.internal.raftLog.allEntries()).toEqual(log);
  expect(n2.node.status().config.voters).toEqual([1, 2, 3]);
});

test('restarted node does not re-apply entries it already applied', () => {
  const h = cluster();
  const applied = h.get(2).node.status().applied;
  const n2 = h.restart(2);
  expect(n2.node.status().applied).toBe(applied);
  // Nothing to apply: the first Ready hands out no committed entries.
  const rd = n2.node.hasReady() ? n2.node.ready() : undefined;
  expect(rd?.committedEntries ?? []).toEqual([]);
  if (rd !== undefined) n2.node.advance(rd);
  h.stabilize();
  expect(h.appliedData(2)).toEqual(['a', 'b', 'c']);
});

test.each([
  { applied: 0, wfirst: 1 },
  { applied: 2, wfirst: 3 },
  { applied: 4, wfirst: 5 },
])('restart with config.applied $applied hands out committed entries from $wfirst', ({ applied, wfirst }) => {
  const h = cluster();
  const storage = h.get(2).storage;
  const commit = storage.initialState().hardState.commit;
  expect(commit).toBe(4);
  const node = new RaftNode({ id: 2, storage, applied, seed: 2 });
  const indexes: number[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    indexes.push(...rd.committedEntries.map((e) => e.index));
    node.advance(rd);
  }
  expect(indexes).toEqual(Array.from({ length: commit - wfirst + 1 }, (_, i) => wfirst + i));
  expect(node.status().applied).toBe(commit);
});

test('restarted follower rejoins the cluster and receives new entries', () => {
  const h = cluster();
  h.restart(3);
  h.tickAll(1);
  expect(h.get(3).node.status().lead).toBe(1);
  h.propose(1, 'd');
  expect(h.appliedData(3)).toEqual(['a', 'b', 'c', 'd']);
});

test('restarted follower that missed entries while down catches up', () => {
  const h = cluster();
  h.isolate(3);
  h.propose(1, 'd', 'e');
  h.restart(3);
  h.recover();
  h.tickAll(2);
  expect(h.appliedData(3)).toEqual(['a', 'b', 'c', 'd', 'e']);
});

test('restarted leader comes back as a follower in the same term and the cluster goes on', () => {
  const h = cluster();
  const term = h.get(1).node.status().term;
  h.restart(1);
  expect(h.get(1).node.status()).toMatchObject({ raftState: StateType.Follower, term, vote: 1 });
  h.tickAll(40);
  const lead = h.leader();
  expect(lead).toBeDefined();
  h.propose(lead!.id, 'after');
  for (const id of [1, 2, 3]) expect(h.appliedData(id)).toEqual(['a', 'b', 'c', 'after']);
});

test('restart after compaction restores the log bounds and configuration from the snapshot', () => {
  const h = cluster();
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  h.stabilize();
  const snapIndex = h.compact(2);
  h.propose(1, 'd');
  const n2 = h.restart(2);
  expect(n2.node.internal.raftLog.firstIndex()).toBe(snapIndex + 1);
  expect(n2.node.status().config).toMatchObject({ voters: [1, 2, 3], learners: [4] });
  expect(n2.node.status().applied).toBe(snapIndex + 1);
  h.tickAll(1);
  h.propose(1, 'e');
  expect(h.appliedData(2)).toEqual(['a', 'b', 'c', 'd', 'e']);
});

test('restarted candidate keeps its vote and does not vote for another in the same term', () => {
  const h = cluster();
  h.isolate(1);
  h.isolate(2);
  h.get(2).node.campaign();
  h.stabilize();
  const { term, vote } = h.get(2).node.status();
  expect(vote).toBe(2);
  const n2 = h.restart(2);
  h.recover();
  h.isolate(1);
  // 3 campaigns in the same term as 2's lost campaign: restarted 2 remembers its vote.
  expect(h.get(3).node.status().term).toBe(term - 1);
  h.get(3).node.campaign();
  h.stabilize();
  expect(h.get(3).node.status().term).toBe(term);
  expect(h.get(3).node.status().raftState).toBe(StateType.Candidate);
  expect(n2.node.status().vote).toBe(2);
});
