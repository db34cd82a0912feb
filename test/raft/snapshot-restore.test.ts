import { expect, test } from 'vitest';
import { EntryType, emptyConfState, type Entry, type Snapshot } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { MessageType, createMessage, type Message } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import type { Ready } from '../../src/raft/ready.js';

function ent(index: number, term: number): Entry {
  return { index, term, type: EntryType.EntryNormal, data: new Uint8Array([index]) };
}

function snapshot(index: number, term: number, voters = [1, 2], learners: number[] = []): Snapshot {
  const confState = { ...emptyConfState(), voters, learners };
  return { data: new Uint8Array([9]), metadata: { index, term, confState } };
}

/** Follower 2 of (1,2) at term 2 with entries 1..5 (terms 1,1,2,2,2) persisted and 1..commit committed. */
function follower(commit: number): { node: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage({ voters: [1, 2] });
  storage.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 2)]);
  storage.setHardState({ term: 2, vote: 1, commit });
  const node = new RaftNode({ id: 2, storage, seed: 2, applied: commit });
  return { node, storage };
}

function snapMsg(s: Snapshot): Message {
  return createMessage({ type: MessageType.MsgSnap, from: 1, to: 2, term: 2, snapshot: s });
}

function drain(node: RaftNode): Ready[] {
  const out: Ready[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    out.push(rd);
    node.advance(rd);
  }
  return out;
}

function appResp(rds: Ready[]): Message | undefined {
  return rds.flatMap((rd) => [...rd.messages, ...rd.persistedMessages]).find((m) => m.type === MessageType.MsgAppResp);
}

test.each([
  { name: 'older than commit', commit: 4, snapIndex: 3, snapTerm: 2, wcommit: 4 },
  { name: 'equal to commit', commit: 4, snapIndex: 4, snapTerm: 2, wcommit: 4 },
])('snapshot not newer than the commit index is ignored ($name)', ({ commit, snapIndex, snapTerm, wcommit }) => {
  const { node } = follower(commit);
  node.step(snapMsg(snapshot(snapIndex, snapTerm)));
  const rds = drain(node);
  expect(rds.some((rd) => rd.snapshot !== undefined)).toBe(false);
  expect(node.status().commit).toBe(wcommit);
  expect(node.internal.raftLog.lastIndex()).toBe(5);
  // The leader learns the follower's commit index.
  expect(appResp(rds)).toMatchObject({ to: 1, index: wcommit, reject: false });
});

test('snapshot whose last entry matches the log only fast-forwards the commit index', () => {
  const { node } = follower(2);
  node.step(snapMsg(snapshot(4, 2)));
  const rds = drain(node);
  expect(rds.some((rd) => rd.snapshot !== undefined)).toBe(false);
  expect(node.status().commit).toBe(4);
  // The log (including entry 5, beyond the snapshot) is kept.
  expect(node.internal.raftLog.lastIndex()).toBe(5);
  expect(node.internal.raftLog.firstIndex()).toBe(1);
  expect(rds.flatMap((rd) => rd.committedEntries).map((e) => e.index)).toEqual([3, 4]);
  expect(appResp(rds)).toMatchObject({ index: 4, reject: false });
});

test('snapshot with a different term at its index replaces the log', () => {
  const { node, storage } = follower(2);
  const s = snapshot(4, 3, [1, 2], [3]);
  node.step(snapMsg(s));
  expect(node.hasReady()).toBe(true);
  const rd = node.ready();
  expect(rd.snapshot).toBe(s);
  expect(rd.committedEntries).toEqual([]);
  storage.applySnapshot(rd.snapshot!);
  node.advance(rd);
  expect(node.status()).toMatchObject({ commit: 4, applied: 4 });
  expect(node.status().config).toMatchObject({ voters: [1, 2], learners: [3] });
  expect(node.internal.raftLog.lastEntryId()).toEqual({ index: 4, term: 3 });
  expect(appResp([rd])).toMatchObject({ index: 4, reject: false });
});

test('snapshot beyond the last index is installed and the follower asks for what follows', () => {
  const { node, storage } = follower(5);
  node.step(snapMsg(snapshot(20, 2)));
  const rds: Ready[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
    storage.append(rd.entries);
    rds.push(rd);
    node.advance(rd);
  }
  expect(rds.filter((rd) => rd.snapshot !== undefined)).toHaveLength(1);
  expect(node.status().commit).toBe(20);
  expect(storage.firstIndex()).toBe(21);
  expect(appResp(rds)).toMatchObject({ index: 20 });
  // A following append from index 20 is accepted.
  node.step(createMessage({ type: MessageType.MsgApp, from: 1, to: 2, term: 2, index: 20, logTerm: 2, entries: [ent(21, 2)], commit: 21 }));
  const after = drain(node);
  expect(appResp(after)).toMatchObject({ index: 21, reject: false });
  expect(node.status().commit).toBe(21);
});

test('snapshot that does not contain the node in its configuration is ignored', () => {
  const { node } = follower(2);
  node.step(snapMsg(snapshot(10, 2, [1, 3])));
  const rds = drain(node);
  expect(rds.some((rd) => rd.snapshot !== undefined)).toBe(false);
  expect(node.status().commit).toBe(2);
  expect(node.internal.raftLog.lastIndex()).toBe(5);
});

test('node with an unpersisted snapshot does not campaign and does not apply entries', () => {
  const { node } = follower(2);
  node.step(snapMsg(snapshot(10, 2)));
  expect(node.internal.promotable()).toBe(false);
  const rd = node.ready();
  expect(rd.snapshot?.metadata.index).toBe(10);
  node.campaign();
  expect(node.status().raftState).toBe(0);
  node.advance(rd);
  expect(node.internal.promotable()).toBe(true);
});
