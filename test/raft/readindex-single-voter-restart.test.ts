import { expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { bytes, flush, handleReady, newTestNode } from '../helpers/raft-harness.js';

// Found by test/storage/power-loss.test.ts: a single voter restarted with a stored commit index
// that trails entries it had committed (a commit-only change is not synced) must not answer a
// read index before it commits an entry of its new term, or the read misses acknowledged writes.
test('a restarted single voter defers read index until it commits in its term (thesis §6.4)', () => {
  const n = newTestNode(1, { voters: [1], logTerms: [1, 1, 1], hardState: { term: 1, vote: 1, commit: 1 } });
  n.node.campaign();
  handleReady(n, n.node.ready(), []); // persists the vote; advancing steps the self-vote
  expect(n.node.status().raftState).toBe(StateType.Leader);
  expect(n.node.status().commit).toBe(1);
  n.node.readIndex(bytes('ctx'));
  // Before the no-op of term 2 is durable and committed: no read state yet.
  const rd = n.node.ready();
  expect(rd.readStates).toEqual([]);
  handleReady(n, rd, []);
  flush(n);
  expect(n.readStates.length).toBe(1);
  expect(n.readStates[0]!.index).toBe(4);
});
