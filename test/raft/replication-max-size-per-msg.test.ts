import { expect, test } from 'vitest';
import { entrySize } from '../../src/raft/entry.js';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { RaftHarness } from '../helpers/raft-harness.js';

// maxSizePerMsg: a follower that is behind is caught up with appends of at most
// maxSizePerMsg bytes each (at least one entry per append).

test.each([{ maxSizePerMsg: 250, wmin: 5 }, { maxSizePerMsg: 1000, wmin: 2 }, { maxSizePerMsg: 100, wmin: 10 }])(
  'entries are batched into appends of at most maxSizePerMsg=$maxSizePerMsg bytes',
  ({ maxSizePerMsg, wmin }) => {
    const h = new RaftHarness({ voters: [1, 2, 3], config: { maxSizePerMsg, maxInflightBytes: Infinity } });
    h.elect(1);
    h.isolate(3);
    const data = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(100, '.'));
    h.propose(1, ...data);
    h.recover();
    const apps: Message[] = [];
    h.onDeliver = (m) => {
      if (m.type === MessageType.MsgApp && m.to === 3 && m.entries.length > 0) apps.push(m);
    };
    h.tickAll(3);
    expect(h.appliedData(3)).toEqual(data);
    expect(apps.length).toBeGreaterThanOrEqual(wmin);
    for (const m of apps) {
      const size = m.entries.reduce((s, e) => s + entrySize(e), 0);
      expect(m.entries.length === 1 || size <= maxSizePerMsg).toBe(true);
    }
    // The appends cover the missing entries in order, without gaps.
    const idx = apps.flatMap((m) => m.entries.map((e) => e.index));
    const uniq = [...new Set(idx)];
    expect(uniq).toEqual(uniq.slice().sort((a, b) => a - b));
    expect(uniq[uniq.length - 1]).toBe(h.get(1).storage.lastIndex());
  },
);
