import { expect, test } from 'vitest';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

const isSnap = (m: Message): boolean => m.type === MessageType.MsgSnap;

function progressOf(h: RaftHarness, id: number) {
  const p = h.get(1).node.status().progress?.get(id);
  if (p === undefined) throw new Error(`no progress for ${id}`);
  return p;
}

/** Leader 1 sends 3 a snapshot, which the test holds back; returns the MsgSnap and its index. */
function snapshotInFlight(): { h: RaftHarness; snap: Message; snapIndex: number; match: number } {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.isolate(3);
  h.propose(1, 'a', 'b', 'c');
  const snapIndex = h.compact(1);
  h.recover();
  const match = progressOf(h, 3).match;
  for (let i = 0; i < 5; i++) {
    h.get(1).node.tick();
    for (let r = 0; r < 10; r++) {
      h.processReadies();
      const snap = h.queue.find(isSnap);
      if (snap !== undefined) {
        h.queue = h.queue.filter((m) => !isSnap(m));
        return { h, snap, snapIndex, match };
      }
      h.deliver();
    }
  }
  throw new Error('no snapshot was sent');
}

test('report snapshot failure moves the peer to probe from its match, paused', () => {
  const { h, match } = snapshotInFlight();
  expect(progressOf(h, 3).state).toBe('snapshot');
  h.get(1).node.reportSnapshot(3, 'failure');
  expect(progressOf(h, 3)).toMatchObject({ state: 'probe', next: match + 1, pendingSnapshot: 0, paused: true });
  // While paused nothing is sent to 3, even when there is something new to replicate.
  h.get(1).node.propose(bytes('x'));
  h.processReadies();
  expect(h.queue.filter((m) => m.to === 3)).toEqual([]);
});

test('report snapshot failure: the next heartbeat response unpauses the peer and the snapshot is resent', () => {
  const { h, snapIndex } = snapshotInFlight();
  h.get(1).node.reportSnapshot(3, 'failure');
  h.get(1).node.tick(); // heartbeat
  let resent: Message | undefined;
  for (let r = 0; r < 10 && resent === undefined; r++) {
    h.processReadies();
    resent = h.queue.find(isSnap);
    h.deliver();
  }
  expect(resent?.to).toBe(3);
  h.stabilize();
  expect(h.get(3).storage.snapshot().metadata.index).toBe(snapIndex);
  expect(progressOf(h, 3).state).toBe('replicate');
});

test('report snapshot finish moves the peer to probe after the snapshot, paused until it acks', () => {
  const { h, snap, snapIndex } = snapshotInFlight();
  h.get(1).node.reportSnapshot(3, 'finish');
  expect(progressOf(h, 3)).toMatchObject({ state: 'probe', next: snapIndex + 1, paused: true });
  h.get(3).node.step(snap);
  h.stabilize();
  expect(progressOf(h, 3)).toMatchObject({ state: 'replicate', match: snapIndex });
});

test('report snapshot is ignored when the peer is not in snapshot state', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a');
  const before = progressOf(h, 2);
  expect(before.state).toBe('replicate');
  h.get(1).node.reportSnapshot(2, 'failure');
  h.get(1).node.reportSnapshot(2, 'finish');
  expect(progressOf(h, 2)).toEqual(before);
});

test('report snapshot on a follower or for an unknown peer does nothing', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  expect(() => h.get(2).node.reportSnapshot(3, 'failure')).not.toThrow();
  expect(() => h.get(1).node.reportSnapshot(99, 'finish')).not.toThrow();
  expect(h.get(2).node.hasReady()).toBe(false);
});
