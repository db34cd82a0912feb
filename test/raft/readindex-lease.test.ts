import { expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function leaseCluster(): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3], config: { checkQuorum: true, readOnlyOption: 'lease-based' } });
  h.elect(1);
  h.propose(1, 'a');
  return h;
}

test('lease-based read index on the leader is answered without a heartbeat round', () => {
  const h = leaseCluster();
  const commit = h.get(1).node.status().commit;
  h.get(1).node.readIndex(bytes('l1'));
  h.get(1).node.readIndex(bytes('l2'));
  h.processReadies();
  expect(h.queue.filter((m) => m.type === MessageType.MsgHeartbeat)).toEqual([]);
  expect(h.get(1).readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }))).toEqual([
    { index: commit, ctx: 'l1' },
    { index: commit, ctx: 'l2' },
  ]);
});

test('lease-based read index on a follower is answered by the leader directly', () => {
  const h = leaseCluster();
  const commit = h.get(1).node.status().commit;
  h.get(2).node.readIndex(bytes('f'));
  h.processReadies();
  h.deliver(); // MsgReadIndex reaches the leader
  h.processReadies();
  expect(h.queue.map((m) => m.type)).toEqual([MessageType.MsgReadIndexResp]);
  h.deliver();
  h.processReadies();
  expect(h.get(2).readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }))).toEqual([{ index: commit, ctx: 'f' }]);
});

test('lease-based read index also waits for the new leader to commit in its term', () => {
  const h = leaseCluster();
  // Node 3's vote lease has run out, so it may vote for 2.
  h.get(3).node.internal.electionElapsed = 10;
  h.get(2).node.campaign();
  for (let i = 0; i < 10; i++) {
    h.processReadies();
    h.deliver((m) => m.type !== MessageType.MsgApp);
  }
  h.queue = [];
  expect(h.get(2).node.status().raftState).toBe(2);
  h.get(2).node.readIndex(bytes('early'));
  h.processReadies();
  expect(h.get(2).readStates).toEqual([]);
  h.tickNodes([2], 1);
  expect(h.get(2).readStates.map((rs) => dec(rs.requestCtx))).toEqual(['early']);
  expect(h.get(2).readStates[0]?.index).toBe(h.get(2).node.status().commit);
});

test('lease-based reads refuse forgetLeader on followers', () => {
  const h = leaseCluster();
  h.get(2).node.forgetLeader();
  expect(h.get(2).node.status().lead).toBe(1);
});
