import { expect, test } from 'vitest';
import { ConfChangeType } from '../../src/raft/conf-change.js';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

const isTimeoutNow = (m: Message): boolean => m.type === MessageType.MsgTimeoutNow;

function cluster(config: { checkQuorum?: boolean } = {}): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3], config });
  h.elect(1);
  h.propose(1, 'a');
  return h;
}

/** Leaves 3 behind by two entries, then heals the partition without letting 3 catch up. */
function laggingFollower(h: RaftHarness): void {
  h.isolate(3);
  h.propose(1, 'b', 'c');
  h.recover();
}

function state(h: RaftHarness, id: number): StateType {
  return h.get(id).node.status().raftState;
}

test.each([{ checkQuorum: false }, { checkQuorum: true }])(
  'transfer to an up-to-date follower sends MsgTimeoutNow at once and the transferee wins (checkQuorum $checkQuorum)',
  ({ checkQuorum }) => {
    const h = cluster({ checkQuorum });
    const term = h.get(1).node.status().term;
    h.get(1).node.transferLeader(2);
    expect(h.get(1).node.status().leadTransferee).toBe(2);
    h.processReadies();
    expect(h.queue.filter(isTimeoutNow).map((m) => m.to)).toEqual([2]);
    h.stabilize();
    expect(state(h, 2)).toBe(StateType.Leader);
    expect(state(h, 1)).toBe(StateType.Follower);
    expect(h.get(1).node.status()).toMatchObject({ lead: 2, term: term + 1, leadTransferee: 0 });
    h.propose(2, 'after');
    expect(h.appliedData(1)).toEqual(['a', 'after']);
  },
);

test('transfer to a lagging follower catches it up first, then sends MsgTimeoutNow', () => {
  const h = cluster();
  laggingFollower(h);
  h.get(1).node.transferLeader(3);
  h.processReadies();
  expect(h.queue.filter(isTimeoutNow)).toEqual([]);
  expect(h.queue.some((m) => m.type === MessageType.MsgApp && m.to === 3)).toBe(true);
  const sent: Message[] = [];
  for (let i = 0; i < 20; i++) {
    h.processReadies();
    sent.push(...h.queue);
    h.deliver();
  }
  const timeoutNow = sent.findIndex(isTimeoutNow);
  const lastAppTo3 = sent.map((m) => m.type === MessageType.MsgApp && m.to === 3 && m.entries.length > 0).lastIndexOf(true);
  expect(timeoutNow).toBeGreaterThan(lastAppTo3);
  expect(lastAppTo3).toBeGreaterThanOrEqual(0);
  h.stabilize();
  expect(state(h, 3)).toBe(StateType.Leader);
  expect(h.appliedData(3)).toEqual(['a', 'b', 'c']);
});

test('proposals are dropped while a leadership transfer is in progress', () => {
  const h = cluster();
  h.isolate(3);
  h.get(1).node.transferLeader(3);
  expect(h.get(1).node.status().leadTransferee).toBe(3);
  let err: unknown;
  try {
    h.get(1).node.propose(bytes('x'));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProposalDroppedError);
  expect((err as ProposalDroppedError).code).toBe('ERR_PROPOSAL_DROPPED');
});

test('transfer that does not finish within an election timeout is aborted and the leader keeps leading', () => {
  const h = cluster();
  h.isolate(3);
  h.get(1).node.transferLeader(3);
  h.tickNodes([1, 2], 9);
  expect(h.get(1).node.status().leadTransferee).toBe(3);
  h.tickNodes([1, 2], 1);
  expect(h.get(1).node.status().leadTransferee).toBe(0);
  expect(state(h, 1)).toBe(StateType.Leader);
  h.propose(1, 'accepted again');
  expect(h.appliedData(2)).toEqual(['a', 'accepted again']);
});

test.each([
  { name: 'to self', voters: [1, 2, 3], learners: [] as number[], transferee: 1 },
  { name: 'to a learner', voters: [1, 2], learners: [3], transferee: 3 },
  { name: 'to a non-member', voters: [1, 2, 3], learners: [] as number[], transferee: 9 },
])('transfer $name is ignored', ({ voters, learners, transferee }) => {
  const h = new RaftHarness({ voters, learners });
  h.elect(1);
  const term = h.get(1).node.status().term;
  h.get(1).node.transferLeader(transferee);
  expect(h.get(1).node.status().leadTransferee).toBe(0);
  h.processReadies();
  expect(h.queue.filter(isTimeoutNow)).toEqual([]);
  h.stabilize();
  expect(state(h, 1)).toBe(StateType.Leader);
  expect(h.get(1).node.status().term).toBe(term);
  h.propose(1, 'still accepted');
  expect(h.appliedData(1)).toEqual(['still accepted']);
});

test('a second transfer to another node aborts the first', () => {
  const h = cluster();
  h.isolate(3);
  h.get(1).node.transferLeader(3);
  h.processReadies();
  h.queue = [];
  h.get(1).node.transferLeader(2);
  expect(h.get(1).node.status().leadTransferee).toBe(2);
  h.processReadies();
  expect(h.queue.filter(isTimeoutNow).map((m) => m.to)).toEqual([2]);
  h.stabilize();
  expect(state(h, 2)).toBe(StateType.Leader);
});

test('a repeated transfer to the same node keeps the transfer going without restarting it', () => {
  const h = cluster();
  h.isolate(3);
  h.get(1).node.transferLeader(3);
  h.tickNodes([1, 2], 5);
  h.get(1).node.transferLeader(3);
  // The election-timeout clock was not reset: the transfer still aborts on schedule.
  h.tickNodes([1, 2], 5);
  expect(h.get(1).node.status().leadTransferee).toBe(0);
});

test('transfer requested on a follower is forwarded to the leader', () => {
  const h = cluster();
  h.get(3).node.transferLeader(2);
  h.processReadies();
  expect(h.queue.filter((m) => m.type === MessageType.MsgTransferLeader)).toMatchObject([{ to: 1, from: 2 }]);
  h.stabilize();
  expect(state(h, 2)).toBe(StateType.Leader);
  expect(h.get(3).node.status().lead).toBe(2);
});

test('transfer requested on a follower without a leader is dropped', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.get(3).node.transferLeader(2);
  h.processReadies();
  expect(h.queue).toEqual([]);
});

test('transfer is aborted when the transferee is removed from the configuration', () => {
  const h = cluster();
  h.isolate(3);
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3 });
  h.processReadies();
  h.deliver();
  h.processReadies();
  h.deliver(); // the removal is committed on the leader, not yet applied
  h.get(1).node.transferLeader(3);
  expect(h.get(1).node.status().leadTransferee).toBe(3);
  h.stabilize(); // applying the removal aborts the transfer
  expect(h.get(1).node.status()).toMatchObject({ leadTransferee: 0, raftState: StateType.Leader });
  h.propose(1, 'z');
  expect(h.appliedData(2)).toEqual(['a', 'z']);
});

test('transfer with preVote on: the transferee skips the PreVote round and wins', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { preVote: true, checkQuorum: true } });
  h.elect(1);
  const term = h.get(1).node.status().term;
  h.get(1).node.transferLeader(3);
  const types: number[] = [];
  for (let i = 0; i < 10; i++) {
    h.processReadies();
    types.push(...h.queue.map((m) => m.type));
    h.deliver();
  }
  expect(types).not.toContain(MessageType.MsgPreVote);
  expect(types).toContain(MessageType.MsgVote);
  expect(state(h, 3)).toBe(StateType.Leader);
  expect(h.get(3).node.status().term).toBe(term + 1);
});

test('transfer to a follower behind a compacted log completes after it installs a snapshot', () => {
  const h = cluster();
  h.isolate(3);
  h.propose(1, 'b', 'c');
  const snapIndex = h.compact(1);
  h.recover();
  h.get(1).node.transferLeader(3);
  let snapshots = 0;
  let timeoutNow = false;
  for (let i = 0; i < 20; i++) {
    h.processReadies();
    snapshots += h.queue.filter((m) => m.type === MessageType.MsgSnap).length;
    if (h.queue.some(isTimeoutNow)) {
      // The transferee already holds the snapshot when it is told to campaign.
      expect(h.get(3).storage.snapshot().metadata.index).toBe(snapIndex);
      timeoutNow = true;
    }
    h.deliver();
  }
  expect(snapshots).toBe(1);
  expect(timeoutNow).toBe(true);
  h.stabilize();
  expect(state(h, 3)).toBe(StateType.Leader);
});
