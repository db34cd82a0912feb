import { describe, expect, test } from 'vitest';
import {
  ProgressTracker,
  cloneTrackerConfig,
  describeProgressMap,
  describeTrackerConfig,
} from '../../../src/raft/tracker/index.js';
import { makeTracker } from './tracker-helpers.js';

describe('ProgressTracker config views', () => {
  test('confState lists everything sorted', () => {
    const trk = makeTracker({ voters: [3, 1, 2], outgoing: [4, 2, 1], learners: [9, 7], learnersNext: [4], autoLeave: true });
    expect(trk.confState()).toEqual({
      voters: [1, 2, 3],
      votersOutgoing: [1, 2, 4],
      learners: [7, 9],
      learnersNext: [4],
      autoLeave: true,
    });
    expect(trk.voterNodes()).toEqual([1, 2, 3, 4]);
    expect(trk.learnerNodes()).toEqual([7, 9]);
  });

  test('a new tracker is empty', () => {
    const trk = new ProgressTracker(5, 100);
    expect(trk.confState()).toEqual({ voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false });
    expect(trk.voterNodes()).toEqual([]);
    expect(trk.learnerNodes()).toEqual([]);
    expect(trk.maxInflight).toBe(5);
    expect(trk.maxInflightBytes).toBe(100);
    expect(trk.committed()).toBe(Infinity);
  });

  test.each([
    { opts: { voters: [1, 2, 3] }, want: 'voters=(1 2 3)' },
    { opts: { voters: [1, 2, 3], learners: [5, 4] }, want: 'voters=(1 2 3) learners=(4 5)' },
    {
      opts: { voters: [1, 2, 3], outgoing: [1, 2], learners: [4], learnersNext: [5], autoLeave: true },
      want: 'voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave',
    },
  ])('describeTrackerConfig → $want', ({ opts, want }) => {
    expect(describeTrackerConfig(makeTracker(opts).config)).toBe(want);
  });

  test('cloneTrackerConfig is deep', () => {
    const cfg = makeTracker({ voters: [1, 2], outgoing: [1], learners: [3], learnersNext: [1], autoLeave: true }).config;
    const c = cloneTrackerConfig(cfg);
    c.voters.incoming.ids.add(9);
    c.voters.outgoing.ids.add(9);
    c.learners.add(9);
    c.learnersNext.add(9);
    c.autoLeave = false;
    expect(describeTrackerConfig(cfg)).toBe('voters=(1 2)&&(1) learners=(3) learners_next=(1) autoleave');
  });

  test('describeProgressMap prints one sorted line per peer', () => {
    const trk = makeTracker({ voters: [2, 1], learners: [3], match: { 1: 4 } });
    expect(describeProgressMap(trk.progress)).toBe(
      '1: StateProbe match=4 next=5 inactive\n2: StateProbe match=0 next=1 inactive\n3: StateProbe match=0 next=1 learner inactive\n',
    );
  });
});
