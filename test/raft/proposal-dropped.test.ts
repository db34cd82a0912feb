import { expect, test } from 'vitest';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { StateType } from '../../src/raft/ready.js';
import { RaftHarness, bytes, flush, newTestNode } from '../helpers/raft-harness.js';

// Proposals that cannot be accepted are refused at once with ProposalDroppedError
// (code 'ERR_PROPOSAL_DROPPED'), where etcd returns ErrProposalDropped.

function expectDropped(fn: () => void): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProposalDroppedError);
  expect((err as ProposalDroppedError).code).toBe('ERR_PROPOSAL_DROPPED');
}

test('a follower with no leader drops proposals', () => {
  const n = newTestNode(1);
  expectDropped(() => n.node.propose(bytes('x')));
  expect(flush(n)).toEqual([]);
});

test('a candidate drops proposals', () => {
  const n = newTestNode(1);
  n.node.campaign();
  flush(n);
  expect(n.node.status().raftState).toBe(StateType.Candidate);
  expectDropped(() => n.node.propose(bytes('x')));
});

test('a pre-candidate drops proposals', () => {
  const n = newTestNode(1, { config: { preVote: true } });
  n.node.campaign();
  flush(n);
  expect(n.node.status().raftState).toBe(StateType.PreCandidate);
  expectDropped(() => n.node.propose(bytes('x')));
});

test('the leader drops proposals while a leadership transfer is in progress, and accepts them after it is abandoned', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.isolate(3);
  h.propose(1, 'a'); // node 3 is behind, so the transfer cannot finish at once
  const lead = h.get(1).node;
  lead.transferLeader(3);
  h.stabilize();
  expect(lead.status().leadTransferee).toBe(3);
  expectDropped(() => lead.propose(bytes('b')));
  // The transfer is abandoned after an election timeout.
  h.tickNodes([1, 2], 10);
  expect(lead.status().leadTransferee).toBe(0);
  expect(lead.status().raftState).toBe(StateType.Leader);
  h.propose(1, 'b');
  expect(h.appliedData(1)).toEqual(['a', 'b']);
});

test('the leader drops proposals beyond maxUncommittedEntriesSize and accepts them again once entries apply', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { maxUncommittedEntriesSize: 30 } });
  h.elect(1);
  h.isolate(2);
  h.isolate(3);
  const lead = h.get(1).node;
  const ten = 'x'.repeat(10);
  for (let i = 0; i < 3; i++) lead.propose(bytes(ten)); // 30 bytes: at the limit
  expectDropped(() => lead.propose(bytes(ten)));
  // Empty proposals carry no payload and are never dropped for size.
  expect(() => lead.propose(new Uint8Array(0))).not.toThrow();
  h.recover();
  h.stabilize();
  expect(h.appliedData(1)).toEqual([ten, ten, ten]);
  for (let i = 0; i < 3; i++) lead.propose(bytes(ten));
  h.stabilize();
  expect(h.appliedData(1).length).toBe(6);
});

test('a single proposal larger than the limit is accepted when nothing is uncommitted', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { maxUncommittedEntriesSize: 30 } });
  h.elect(1);
  expect(() => h.get(1).node.propose(bytes('y'.repeat(100)))).not.toThrow();
});

test('a follower with disableProposalForwarding drops proposals', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], configFor: (id) => (id === 2 ? { disableProposalForwarding: true } : {}) });
  h.elect(1);
  expect(h.get(2).node.status().lead).toBe(1);
  expectDropped(() => h.get(2).node.propose(bytes('x')));
  expect(h.queue).toEqual([]);
  // Node 3 (forwarding enabled) still forwards.
  h.propose(3, 'y');
  expect(h.appliedData(1)).toEqual(['y']);
});
