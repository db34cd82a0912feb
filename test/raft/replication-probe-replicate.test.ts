import { expect, test } from 'vitest';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { RaftHarness, bytes, electByVotes, flush, newTestNode } from '../helpers/raft-harness.js';

// The leader probes a follower (one append per round trip) until an append is accepted, then
// replicates optimistically (pipelined appends); a rejection or an unreachable report sends it
// back to probing.

const state = (h: { node: { status(): { progress?: Map<number, { state: string }> | undefined } } }, id: number): string | undefined =>
  h.node.status().progress?.get(id)?.state;

test('followers start in probe and move to replicate after an accepted append', () => {
  const n = newTestNode(1);
  electByVotes(n);
  expect(state(n, 2)).toBe('probe');
  expect(state(n, 3)).toBe('probe');
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 1 }));
  flush(n);
  expect(state(n, 2)).toBe('replicate');
  expect(state(n, 3)).toBe('probe');
});

test('a probing follower gets one append per round trip; a replicating one gets a pipeline', () => {
  const n = newTestNode(1);
  electByVotes(n);
  flush(n);
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 1 }));
  flush(n);
  for (let i = 0; i < 3; i++) n.node.propose(bytes(`p${i}`));
  const apps = flush(n).filter((m) => m.type === MessageType.MsgApp && m.entries.length > 0);
  expect(apps.filter((m) => m.to === 2).length).toBe(3); // replicate: one per proposal
  expect(apps.filter((m) => m.to === 3).length).toBe(0); // probe: paused until the outstanding probe is answered
});

test('a rejection moves a replicating follower back to probe', () => {
  const n = newTestNode(1);
  electByVotes(n);
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 1 }));
  n.node.propose(bytes('x'));
  flush(n);
  expect(state(n, 2)).toBe('replicate');
  n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 2, reject: true, rejectHint: 1, logTerm: 1 }));
  expect(state(n, 2)).toBe('probe');
});

test.each([
  { name: 'replicate', ack: true, wstate: 'probe' },
  { name: 'probe', ack: false, wstate: 'probe' },
])('reportUnreachable on a $name follower leaves it in $wstate', ({ ack, wstate }) => {
  const n = newTestNode(1);
  electByVotes(n);
  if (ack) n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 1, index: 1 }));
  flush(n);
  n.node.reportUnreachable(2);
  expect(state(n, 2)).toBe(wstate);
  expect(n.node.status().progress?.get(2)?.inflight).toBe(0);
});

test('after reportUnreachable the follower is re-probed and caught up', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.isolate(2);
  h.propose(1, 'a', 'b');
  const lead = h.get(1).node;
  expect(lead.status().progress?.get(2)?.state).toBe('replicate');
  lead.reportUnreachable(2);
  expect(lead.status().progress?.get(2)?.state).toBe('probe');
  h.recover();
  h.tickAll(3);
  expect(lead.status().progress?.get(2)?.state).toBe('replicate');
  expect(h.appliedData(2)).toEqual(['a', 'b']);
});
