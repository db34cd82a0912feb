import { expect, test } from 'vitest';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

// Flow control in replicate state: at most maxInflightMsgs appends (and maxInflightBytes of
// payload) are outstanding per follower; acknowledgements free the window.

function appsTo(h: RaftHarness, to: number): Message[] {
  return h.queue.filter((m) => m.type === MessageType.MsgApp && m.to === to && m.entries.length > 0);
}

function setup(config: { maxInflightMsgs?: number; maxInflightBytes?: number; maxSizePerMsg?: number }): RaftHarness {
  const h = new RaftHarness({ voters: [1, 2, 3], config });
  h.elect(1);
  expect(h.get(1).node.status().progress?.get(2)?.state).toBe('replicate');
  return h;
}

test.each([{ max: 1 }, { max: 3 }, { max: 5 }])('with a non-acking follower only maxInflightMsgs=$max appends go out', ({ max }) => {
  const h = setup({ maxInflightMsgs: max });
  const lead = h.get(1).node;
  for (let i = 0; i < 10; i++) lead.propose(bytes(`p${i}`));
  h.processReadies();
  expect(appsTo(h, 2).length).toBe(max);
  expect(lead.status().progress?.get(2)?.inflight).toBe(max);
  expect(lead.status().progress?.get(2)?.paused).toBe(true);
});

test('acknowledgements free the window and let more appends go out', () => {
  const h = setup({ maxInflightMsgs: 3 });
  const lead = h.get(1).node;
  for (let i = 0; i < 10; i++) lead.propose(bytes(`p${i}`));
  h.processReadies();
  const first = appsTo(h, 2);
  expect(first.length).toBe(3);
  // Deliver only the appends to node 2 and its answers to the leader.
  const sent: number[] = [first.length];
  for (let round = 0; round < 5; round++) {
    h.deliver((m) => m.to === 2 || m.from === 2);
    h.processReadies();
    h.deliver((m) => m.to === 1 && m.from === 2);
    h.processReadies();
    sent.push(appsTo(h, 2).length);
  }
  // Each round every acknowledged append opened a slot; all 10 proposals reach node 2.
  h.stabilize();
  expect(h.appliedData(2)).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`));
  for (const s of sent) expect(s).toBeLessThanOrEqual(3);
});

test('maxInflightBytes limits the payload in flight', () => {
  // 100-byte payloads; the window is full once 250 bytes are in flight, after 3 appends.
  const h = setup({ maxInflightMsgs: 100, maxSizePerMsg: 100, maxInflightBytes: 250 });
  const lead = h.get(1).node;
  const payload = 'x'.repeat(100);
  for (let i = 0; i < 10; i++) lead.propose(bytes(payload));
  h.processReadies();
  expect(appsTo(h, 2).length).toBe(3);
  h.stabilize();
  expect(h.appliedData(2).length).toBe(10);
});
