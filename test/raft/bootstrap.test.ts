import { expect, test } from 'vitest';
import { ConfChangeType, decodeConfChange } from '../../src/raft/conf-change.js';
import { EntryType } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { MessageType } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { StateType } from '../../src/raft/ready.js';
import { flush, type HarnessNode } from '../helpers/raft-harness.js';

// bootstrap(peers) writes the initial membership of a new cluster as committed conf changes.

function emptyNode(id: number): HarnessNode {
  const storage = new MemoryStorage();
  return { id, node: new RaftNode({ id, storage, seed: id }), storage, applied: [], confState: undefined, readStates: [] };
}

test('bootstrap on empty storage creates committed conf change entries', () => {
  const n = emptyNode(1);
  n.node.bootstrap([1, 2, 3]);
  const rd = n.node.ready();
  expect(rd.hardState).toEqual({ term: 1, vote: 0, commit: 3 });
  expect(rd.entries.map((e) => [e.term, e.index, e.type])).toEqual([
    [1, 1, EntryType.EntryConfChange],
    [1, 2, EntryType.EntryConfChange],
    [1, 3, EntryType.EntryConfChange],
  ]);
  expect(rd.committedEntries.map((e) => e.index)).toEqual([1, 2, 3]);
  expect(rd.committedEntries.map((e) => decodeConfChange(e.data))).toEqual([
    expect.objectContaining({ type: ConfChangeType.ConfChangeAddNode, nodeId: 1 }),
    expect.objectContaining({ type: ConfChangeType.ConfChangeAddNode, nodeId: 2 }),
    expect.objectContaining({ type: ConfChangeType.ConfChangeAddNode, nodeId: 3 }),
  ]);
  expect(n.node.status().config.voters.slice().sort()).toEqual([1, 2, 3]);
});

test('a bootstrapped node campaigns once its conf changes are applied', () => {
  const n = emptyNode(1);
  n.node.bootstrap([1, 2, 3]);
  n.node.campaign(); // refused: the bootstrap conf changes are not applied yet
  expect(n.node.status().raftState).toBe(StateType.Follower);
  flush(n);
  expect(n.node.status().applied).toBe(3);
  n.node.campaign();
  const votes = flush(n).filter((m) => m.type === MessageType.MsgVote);
  expect(n.node.status().raftState).toBe(StateType.Candidate);
  expect(n.node.status().term).toBe(2);
  expect(votes.map((m) => ({ to: m.to, index: m.index, logTerm: m.logTerm }))).toEqual([
    { to: 2, index: 3, logTerm: 1 },
    { to: 3, index: 3, logTerm: 1 },
  ]);
});

test('a single bootstrapped node elects itself', () => {
  const n = emptyNode(1);
  n.node.bootstrap([{ id: 1 }]);
  flush(n);
  expect(n.node.isLeader).toBe(false);
  n.node.campaign();
  flush(n);
  expect(n.node.isLeader).toBe(true);
  expect(n.node.status().raftState).toBe(StateType.Leader);
  expect(n.node.status().commit).toBe(2);
});

test.each([
  { name: 'storage with a log', storage: (): MemoryStorage => {
    const s = new MemoryStorage({ voters: [1] });
    s.append([{ term: 1, index: 1, type: EntryType.EntryNormal, data: new Uint8Array(0) }]);
    return s;
  }, peers: [1] },
  { name: 'no peers', storage: (): MemoryStorage => new MemoryStorage(), peers: [] },
  { name: 'peer id 0', storage: (): MemoryStorage => new MemoryStorage(), peers: [0] },
])('bootstrap with $name throws ERR_CONFIG_INVALID', ({ storage, peers }) => {
  const node = new RaftNode({ id: 1, storage: storage(), seed: 1 });
  expect(() => node.bootstrap(peers)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
});

test('bootstrapping twice throws', () => {
  const n = emptyNode(1);
  n.node.bootstrap([1]);
  expect(() => n.node.bootstrap([1])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
});
