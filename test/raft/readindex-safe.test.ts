import { expect, test } from 'vitest';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const isHeartbeatResp = (m: Message): boolean => m.type === MessageType.MsgHeartbeatResp;

function cluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.propose(1, 'a', 'b');
  return h;
}

function readStates(h: RaftHarness, id: number): { index: number; ctx: string }[] {
  return h.get(id).readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }));
}

test('safe read index is answered only after a quorum acknowledges the heartbeat', () => {
  const h = cluster();
  const commit = h.get(1).node.status().commit;
  h.get(1).node.readIndex(bytes('r1'));
  h.processReadies();
  // The leader broadcast heartbeats carrying the request context.
  const hbs = h.queue.filter((m) => m.type === MessageType.MsgHeartbeat);
  expect(hbs.map((m) => m.to).sort()).toEqual([2, 3]);
  expect(hbs.every((m) => dec(m.context ?? new Uint8Array()) === 'r1')).toBe(true);
  expect(readStates(h, 1)).toEqual([]);

  h.deliver(); // heartbeats reach 2 and 3
  h.processReadies();
  expect(readStates(h, 1)).toEqual([]); // the acks are not delivered yet
  const acks = h.queue.filter(isHeartbeatResp);
  expect(acks).toHaveLength(2);
  // One ack plus the leader's own is a quorum of three.
  h.queue = acks.filter((m) => m.from === 2);
  h.deliver();
  h.processReadies();
  expect(readStates(h, 1)).toEqual([{ index: commit, ctx: 'r1' }]);
  // The late second ack does not answer the read again.
  h.queue = acks.filter((m) => m.from === 3);
  h.stabilize();
  expect(readStates(h, 1)).toHaveLength(1);
});

test('safe read index is never answered without heartbeat acks', () => {
  const h = cluster();
  h.get(1).node.readIndex(bytes('r1'));
  for (let i = 0; i < 5; i++) {
    h.processReadies();
    h.deliver((m) => !isHeartbeatResp(m));
  }
  expect(readStates(h, 1)).toEqual([]);
});

test('safe read index: several reads are confirmed by the ack of the latest heartbeat', () => {
  const h = cluster();
  const commit = h.get(1).node.status().commit;
  h.get(1).node.readIndex(bytes('r1'));
  h.get(1).node.readIndex(bytes('r2'));
  h.get(1).node.readIndex(bytes('r3'));
  h.processReadies();
  // Only the heartbeats carrying the last context get through.
  h.queue = h.queue.filter((m) => m.type === MessageType.MsgHeartbeat && dec(m.context ?? new Uint8Array()) === 'r3');
  expect(h.queue).toHaveLength(2);
  h.stabilize();
  expect(readStates(h, 1)).toEqual([
    { index: commit, ctx: 'r1' },
    { index: commit, ctx: 'r2' },
    { index: commit, ctx: 'r3' },
  ]);
});

test('safe read index records the commit index at the time of the request', () => {
  const h = cluster();
  const before = h.get(1).node.status().commit;
  h.get(1).node.readIndex(bytes('early'));
  h.processReadies();
  const hbs = h.queue;
  h.queue = [];
  h.propose(1, 'c'); // commits one more entry while the read waits
  h.queue = hbs;
  h.stabilize();
  expect(readStates(h, 1)).toEqual([{ index: before, ctx: 'early' }]);
  h.get(1).node.readIndex(bytes('late'));
  h.stabilize();
  expect(readStates(h, 1)[1]).toEqual({ index: before + 1, ctx: 'late' });
});

test('read index on a follower is forwarded to the leader and answered with a ReadState', () => {
  const h = cluster();
  const commit = h.get(1).node.status().commit;
  h.get(2).node.readIndex(bytes('f1'));
  h.processReadies();
  const fwd = h.queue.find((m) => m.type === MessageType.MsgReadIndex);
  expect(fwd).toMatchObject({ from: 2, to: 1 });
  const types: number[] = [];
  for (let i = 0; i < 10; i++) {
    h.processReadies();
    types.push(...h.queue.map((m) => m.type));
    h.deliver();
  }
  expect(types).toContain(MessageType.MsgReadIndexResp);
  expect(readStates(h, 2)).toEqual([{ index: commit, ctx: 'f1' }]);
  expect(readStates(h, 1)).toEqual([]);
});

test('read index on a follower without a leader is dropped', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.get(2).node.readIndex(bytes('nobody'));
  h.stabilize();
  expect(h.get(2).readStates).toEqual([]);
});

test('partitioned old leader in safe mode never confirms a read', () => {
  const h = cluster();
  h.isolate(1);
  h.elect(2);
  expect(h.get(2).node.status().raftState).toBe(2);
  expect(h.get(1).node.status().raftState).toBe(2); // still believes it leads
  h.get(1).node.readIndex(bytes('stale'));
  h.tickNodes([1], 30);
  expect(readStates(h, 1)).toEqual([]);
  // Healed, the old leader learns the newer term and steps down; the read is never confirmed.
  h.recover();
  h.tickAll(3);
  expect(h.get(1).node.status().raftState).toBe(0);
  expect(readStates(h, 1)).toEqual([]);
});

test('learner acks do not confirm a safe read', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  h.elect(1);
  h.get(1).node.readIndex(bytes('r'));
  for (let i = 0; i < 5; i++) {
    h.processReadies();
    h.deliver((m) => !(isHeartbeatResp(m) && m.from === 2));
  }
  expect(readStates(h, 1)).toEqual([]);
  h.get(1).node.readIndex(bytes('r2'));
  h.stabilize();
  expect(readStates(h, 1).map((rs) => rs.ctx)).toEqual(['r', 'r2']);
});

test('read index on a learner is forwarded to the leader', () => {
  const h = new RaftHarness({ voters: [1, 2], learners: [3] });
  h.elect(1);
  h.get(3).node.readIndex(bytes('l'));
  h.stabilize();
  expect(readStates(h, 3)).toEqual([{ index: h.get(1).node.status().commit, ctx: 'l' }]);
});
