import { expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import { RaftHarness, bytes } from '../helpers/raft-harness.js';

// A follower forwards proposals to its leader, which appends and commits them.

test('a follower forwards a proposal to the leader as a MsgProp', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.get(2).node.propose(bytes('fwd'));
  h.processReadies();
  const props = h.queue.filter((m) => m.type === MessageType.MsgProp);
  expect(props.map((m) => ({ from: m.from, to: m.to, term: m.term, n: m.entries.length }))).toEqual([{ from: 2, to: 1, term: 0, n: 1 }]);
});

test('forwarded proposals from every follower commit and apply everywhere in one order', () => {
  const h = new RaftHarness({ voters: [1, 2, 3] });
  h.elect(1);
  h.get(2).node.propose(bytes('a'));
  h.get(3).node.propose(bytes('b'));
  h.get(2).node.propose(bytes('c'));
  h.stabilize();
  const want = h.appliedData(1);
  expect([...want].sort()).toEqual(['a', 'b', 'c']);
  expect(h.appliedData(2)).toEqual(want);
  expect(h.appliedData(3)).toEqual(want);
});
