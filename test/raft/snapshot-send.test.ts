import { expect, test } from 'vitest';
import { ConfChangeType } from '../../src/raft/conf-change.js';
import { SnapshotTemporarilyUnavailableError } from '../../src/raft/errors.js';
import type { LogStorage } from '../../src/raft/log-storage.js';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

const isSnap = (m: Message): boolean => m.type === MessageType.MsgSnap;

function progressOf(h: RaftHarness, leader: number, id: number) {
  const p = h.get(leader).node.status().progress?.get(id);
  if (p === undefined) throw new Error(`no progress for ${id}`);
  return p;
}

/**
 * Leader 1 of (1,2,3) commits entries while 3 is cut off, then snapshots and compacts its
 * storage past everything 3 has. Returns the snapshot index.
 */
function leaveFollowerBehindCompaction(h: RaftHarness): number {
  h.elect(1);
  h.isolate(3);
  h.propose(1, 'a', 'b', 'c', 'd', 'e');
  const snapIndex = h.compact(1, bytes('state-at-6'));
  expect(h.get(1).storage.firstIndex()).toBe(snapIndex + 1);
  expect(h.get(3).node.status().commit).toBeLessThan(snapIndex);
  return snapIndex;
}

test('follower behind a compacted log is sent a snapshot, installs it and catches up from the log', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  const snapIndex = leaveFollowerBehindCompaction(h);
  h.recover();
  // The next heartbeat round makes the leader probe 3, find index 1 compacted and send a snapshot.
  let sentSnap: Message | undefined;
  for (let i = 0; i < 5 && sentSnap === undefined; i++) {
    h.get(1).node.tick();
    for (let r = 0; r < 10; r++) {
      h.processReadies();
      sentSnap ??= h.queue.find(isSnap);
      h.deliver();
    }
  }
  expect(sentSnap).toBeDefined();
  expect(sentSnap?.snapshot?.metadata.index).toBe(snapIndex);
  expect(sentSnap?.snapshot?.data).toEqual(bytes('state-at-6'));

  // The follower hands the snapshot to the application in a Ready, before any entry to apply.
  h.stabilize();
  const n3 = h.get(3);
  expect(n3.storage.snapshot().metadata.index).toBe(snapIndex);
  expect(n3.confState?.voters).toEqual([1, 2, 3]);

  // New entries reach 3 through ordinary appends.
  h.propose(1, 'f');
  expect(h.get(3).node.status().commit).toBe(snapIndex + 1);
  expect(h.appliedData(3)).toEqual(['f']);
  expect(progressOf(h, 1, 3)).toMatchObject({ state: 'replicate', match: snapIndex + 1 });
});

test('progress goes snapshot -> probe on reportSnapshot finish -> replicate on the follower ack', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  const snapIndex = leaveFollowerBehindCompaction(h);
  h.recover();
  let snap: Message | undefined;
  for (let i = 0; i < 5 && snap === undefined; i++) {
    h.get(1).node.tick();
    for (let r = 0; r < 10 && snap === undefined; r++) {
      h.processReadies();
      snap = h.queue.find(isSnap);
      if (snap === undefined) h.deliver();
    }
  }
  expect(snap).toBeDefined();
  expect(progressOf(h, 1, 3)).toMatchObject({ state: 'snapshot', pendingSnapshot: snapIndex, paused: true });

  // Hold the snapshot in flight; the application reports it was sent.
  h.queue = h.queue.filter((m) => !isSnap(m));
  h.get(1).node.reportSnapshot(3, 'finish');
  const afterFinish = progressOf(h, 1, 3);
  expect(afterFinish).toMatchObject({ state: 'probe', next: snapIndex + 1, paused: true });

  // The follower installs it and acknowledges: the leader replicates from there.
  h.get(3).node.step(snap!);
  h.stabilize();
  expect(progressOf(h, 1, 3)).toMatchObject({ state: 'replicate', match: snapIndex, next: snapIndex + 1 });
});

test('snapshot is not sent to a peer that is not recently active', () => {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { checkQuorum: true } });
  h.elect(1);
  h.isolate(3);
  h.propose(1, 'a', 'b');
  h.compact(1);
  // A quorum check clears recentActive; 3 stays silent, so it stays inactive.
  h.tickNodes([1, 2], 10);
  expect(progressOf(h, 1, 3).recentActive).toBe(false);
  h.get(1).node.reportUnreachable(3);
  h.recover();
  h.get(1).node.propose(bytes('c')); // broadcasts appends; 3 needs a snapshot
  h.processReadies();
  expect(h.queue.filter(isSnap)).toEqual([]);
  expect(progressOf(h, 1, 3).state).toBe('probe');
  // Once 3 answers a heartbeat it is active again and gets the snapshot.
  h.stabilize();
  h.tickNodes([1, 2], 1);
  expect(h.get(3).storage.snapshot().metadata.index).toBeGreaterThan(0);
  expect(h.appliedData(3)).toEqual(['c']);
});

test('snapshot temporarily unavailable in storage makes the leader retry later', () => {
  let failures = 1;
  let calls = 0;
  const h = new RaftHarness({
    voters: [1, 2, 3],
    wrapStorage: (id, ms): LogStorage => {
      if (id !== 1) return ms;
      return {
        initialState: () => ms.initialState(),
        entries: (lo, hi, max) => ms.entries(lo, hi, max),
        term: (i) => ms.term(i),
        lastIndex: () => ms.lastIndex(),
        firstIndex: () => ms.firstIndex(),
        snapshot: () => {
          calls++;
          if (failures > 0) {
            failures--;
            throw new SnapshotTemporarilyUnavailableError();
          }
          return ms.snapshot();
        },
      };
    },
  });
  const snapIndex = leaveFollowerBehindCompaction(h);
  h.recover();
  let snapshotsSent = 0;
  const round = (): void => {
    h.get(1).node.tick();
    for (let r = 0; r < 10; r++) {
      h.processReadies();
      snapshotsSent += h.queue.filter(isSnap).length;
      h.deliver();
    }
  };
  // First attempt: storage refuses; nothing is sent and 3 stays in probe.
  for (let i = 0; i < 5 && calls === 0; i++) round();
  expect(calls).toBe(1);
  expect(snapshotsSent).toBe(0);
  expect(progressOf(h, 1, 3).state).toBe('probe');
  // A later heartbeat response makes the leader try again, and this time it succeeds.
  for (let i = 0; i < 5 && snapshotsSent === 0; i++) round();
  expect(calls).toBe(2);
  expect(snapshotsSent).toBe(1);
  h.stabilize();
  expect(h.get(3).storage.snapshot().metadata.index).toBe(snapIndex);
  expect(progressOf(h, 1, 3).state).toBe('replicate');
});

test('new member with an empty log joins through a snapshot of a compacted leader', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a', 'b');
  h.get(1).node.proposeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 4 });
  h.stabilize();
  // The snapshot covers the conf change, so its ConfState includes 4.
  const snapIndex = h.compact(1, bytes('app-state'));
  expect(h.get(1).storage.snapshot().metadata.confState.voters).toEqual([1, 2, 3, 4]);
  const n4 = h.addNode(4); // no configuration, no log
  h.tickAll(2);
  expect(n4.storage.snapshot().metadata.index).toBe(snapIndex);
  expect(n4.storage.snapshot().data).toEqual(bytes('app-state'));
  expect(n4.node.status().config.voters).toEqual([1, 2, 3, 4]);
  h.propose(1, 'c');
  expect(h.appliedData(4)).toEqual(['c']);
  expect(progressOf(h, 1, 4)).toMatchObject({ state: 'replicate', match: snapIndex + 1 });
});
