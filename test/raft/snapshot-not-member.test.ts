import { expect, test } from 'vitest';
import { ConfChangeType } from '../../src/raft/conf-change.js';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftHarness } from '../helpers/raft-harness.js';

// A member added after the leader's latest snapshot is not in that snapshot's configuration, so
// it ignores the snapshot (raft's restore refuses it) and acks with its commit index, 0. The
// leader must not answer that ack with the same snapshot at once, over and over: as etcd's
// raft, it waits (a heartbeat) before it tries the member again, by which time the application
// may have stored a snapshot that includes the member.

const isSnapTo4 = (m: Message): boolean => m.type === MessageType.MsgSnap && m.to === 4;

/**
 * Leader 1 of (1,2,3) compacts its log at its applied index, then adds member 4 (empty log) as
 * a learner. Every MsgSnap to 4 is reported finished at once, as a transport reports a snapshot
 * sent (before the receiver has answered). Returns the harness and a counter of MsgSnaps to 4.
 */
function memberAddedAfterSnapshot(): { h: RaftHarness; snaps: () => number; snapIndex: number } {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a', 'b', 'c');
  const snapIndex = h.compact(1);
  expect(h.get(1).storage.snapshot().metadata.confState.learners).toEqual([]);
  h.addNode(4);
  let snaps = 0;
  h.onDeliver = (m) => {
    if (!isSnapTo4(m)) return;
    snaps++;
    h.get(1).node.reportSnapshot(4, 'finish');
  };
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4 });
  return { h, snaps: () => snaps, snapIndex };
}

test('a member not in the snapshot\'s configuration ignores it, and the leader does not re-send it at once', () => {
  const { h, snaps, snapIndex } = memberAddedAfterSnapshot();
  h.stabilize(200); // without the fix the snapshot goes back and forth forever
  expect(snaps()).toBe(1);
  expect(h.get(1).storage.snapshot().metadata.index).toBe(snapIndex);
  expect(h.get(4).node.status().commit).toBe(0); // 4 ignored it
  expect(h.get(1).node.status().progress?.get(4)).toMatchObject({ match: 0 });
});

test('the leader tries the member again on the next heartbeat, one snapshot per heartbeat at most', () => {
  const { h, snaps } = memberAddedAfterSnapshot();
  h.stabilize(200);
  for (let i = 1; i <= 3; i++) {
    h.tickNode(1); // heartbeatTick 1: one heartbeat round each
    expect(snaps()).toBeLessThanOrEqual(1 + i);
  }
  expect(snaps()).toBeGreaterThan(1);
});

test('once the leader\'s snapshot includes the member, the member installs it and catches up', () => {
  const { h } = memberAddedAfterSnapshot();
  h.stabilize(200);
  const snapIndex = h.compact(1); // the application renews its snapshot past the conf change
  expect(h.get(1).storage.snapshot().metadata.confState.learners).toEqual([4]);
  h.tickNode(1, 3);
  expect(h.get(4).storage.snapshot().metadata.index).toBe(snapIndex);
  expect(h.get(1).node.status().progress?.get(4)).toMatchObject({ state: 'replicate', match: h.get(1).node.status().commit });
});
