import { describe, expect, test } from 'vitest';
import { ConfChangeType } from '../../../src/raft/conf-change.js';
import { Changer, restore, toConfChangeSingle } from '../../../src/raft/confchange/index.js';
import type { ConfState } from '../../../src/raft/entry.js';
import { ProgressTracker } from '../../../src/raft/tracker/index.js';
import { describe as describeTracker, lines } from './helpers.js';

const { ConfChangeAddNode: add, ConfChangeRemoveNode: rm, ConfChangeAddLearnerNode: learner } = ConfChangeType;

function cs(p: Partial<ConfState>): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false, ...p };
}

function restored(c: ConfState, lastIndex = 5): ProgressTracker {
  const trk = new ProgressTracker(20, Infinity);
  const res = restore(new Changer(trk, lastIndex), c);
  trk.applyConfig(res.config, res.progress);
  return trk;
}

describe('restore', () => {
  test('toConfChangeSingle builds the outgoing config, then the incoming one on top', () => {
    const { outgoing, incoming } = toConfChangeSingle(
      cs({ voters: [1, 2, 3], learners: [5], votersOutgoing: [1, 2, 4, 6], learnersNext: [4] }),
    );
    expect(outgoing.map((c) => [c.type, c.nodeId])).toEqual([
      [add, 1],
      [add, 2],
      [add, 4],
      [add, 6],
    ]);
    expect(incoming.map((c) => [c.type, c.nodeId])).toEqual([
      [rm, 1],
      [rm, 2],
      [rm, 4],
      [rm, 6],
      [add, 1],
      [add, 2],
      [add, 3],
      [learner, 5],
      [learner, 4],
    ]);
  });

  test('a plain config', () => {
    const trk = restored(cs({ voters: [1, 2, 3], learners: [4] }));
    expect(describeTracker(trk)).toBe(
      lines(
        'voters=(1 2 3) learners=(4)',
        '1: StateProbe match=0 next=5',
        '2: StateProbe match=0 next=5',
        '3: StateProbe match=0 next=5',
        '4: StateProbe match=0 next=5 learner',
      ),
    );
  });

  test('a joint config with staged learners', () => {
    const trk = restored(
      cs({ voters: [1, 2, 3], learners: [5], votersOutgoing: [1, 2, 4, 6], learnersNext: [4], autoLeave: true }),
      0,
    );
    expect(describeTracker(trk)).toBe(
      lines(
        'voters=(1 2 3)&&(1 2 4 6) learners=(5) learners_next=(4) autoleave',
        '1: StateProbe match=0 next=1',
        '2: StateProbe match=0 next=1',
        '3: StateProbe match=0 next=1',
        '4: StateProbe match=0 next=1',
        '5: StateProbe match=0 next=1 learner',
        '6: StateProbe match=0 next=1',
      ),
    );
  });

  test('the empty ConfState restores the empty config', () => {
    const trk = restored(cs({}));
    expect(trk.confState()).toEqual(cs({}));
    expect(trk.progress.size).toBe(0);
  });

  test.each([
    { name: 'learners without voters', c: cs({ learners: [1] }), want: 'removed all voters' },
    { name: 'joint without incoming voters', c: cs({ votersOutgoing: [1] }), want: 'removed all voters' },
    { name: 'staged learner that is an incoming voter', c: cs({ voters: [1], votersOutgoing: [1], learnersNext: [1] }), want: '' },
  ])('invalid ConfStates are refused or normalised: $name', ({ c, want }) => {
    if (want === '') {
      // add-learner of an incoming voter that is also outgoing stages it; it is then no
      // longer an incoming voter, which leaves no voters.
      expect(() => restored(c)).toThrow('removed all voters');
    } else {
      expect(() => restored(c)).toThrow(want);
    }
  });
});
