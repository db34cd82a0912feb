import { expect, test } from 'vitest';
import { ConfChangeType } from '../../src/raft/conf-change.js';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

function cluster(stepDownOnRemoval: boolean): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { stepDownOnRemoval } });
  h.elect(1);
  h.propose(1, 'a');
  return h;
}

/** Leader 1 proposes its own removal; the change is committed on the leader but not applied yet. */
function commitOwnRemoval(h: RaftHarness, type: ConfChangeType = ConfChangeType.ConfChangeRemoveNode): void {
  h.get(1).node.proposeConfChange({ type, nodeId: 1 });
  h.processReadies();
  h.deliver();
  h.processReadies();
  h.deliver();
  const r = h.get(1).node.internal;
  expect(r.raftLog.committed).toBe(r.raftLog.lastIndex());
  expect(r.raftLog.applied).toBeLessThan(r.raftLog.committed);
}

test.each([
  { name: 'removed', type: ConfChangeType.ConfChangeRemoveNode },
  { name: 'demoted to learner', type: ConfChangeType.ConfChangeAddLearnerNode },
])('leader $name steps down when stepDownOnRemoval is true', ({ type }) => {
  const h = cluster(true);
  commitOwnRemoval(h, type);
  expect(h.get(1).node.status().raftState).toBe(StateType.Leader);
  h.stabilize(); // applying the change removes the leader
  expect(h.get(1).node.status()).toMatchObject({ raftState: StateType.Follower, lead: 0 });
  // The remaining voters elect a leader among themselves; 1 never campaigns.
  h.tickAll(40);
  const lead = h.leader();
  expect([2, 3]).toContain(lead?.id);
  expect(h.get(1).node.status().raftState).toBe(StateType.Follower);
});

test('removed leader keeps leading when stepDownOnRemoval is false, but drops new proposals', () => {
  const h = cluster(false);
  commitOwnRemoval(h);
  h.stabilize();
  const s = h.get(1).node.status();
  expect(s.raftState).toBe(StateType.Leader);
  expect(s.config.voters).toEqual([2, 3]);
  expect(() => h.get(1).node.propose(bytes('x'))).toThrow(ProposalDroppedError);
  expect(() => h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 1 })).toThrow(ProposalDroppedError);
  // A proposal forwarded from a follower is dropped too.
  h.get(2).node.propose(bytes('y'));
  h.stabilize();
  expect(h.appliedData(2)).toEqual(['a']);
});

test('removed leader does not count itself toward the commit quorum', () => {
  const h = cluster(false);
  commitOwnRemoval(h);
  // Accepted before the removal is applied; under the old config 1 and 2 would be a quorum.
  h.isolate(3);
  h.get(1).node.propose(bytes('x'));
  h.stabilize();
  const r = h.get(1).node.internal;
  expect(h.get(1).node.status().config.voters).toEqual([2, 3]);
  expect(r.raftLog.committed).toBe(r.raftLog.lastIndex() - 1);
  expect(h.appliedData(2)).toEqual(['a']);
  // With 2 and 3 both holding it, it commits.
  h.recover();
  h.tickNodes([1], 2);
  expect(r.raftLog.committed).toBe(r.raftLog.lastIndex());
  expect(h.appliedData(3)).toEqual(['a', 'x']);
});
