import { describe, expect, test } from 'vitest';
import { makeTracker } from './tracker-helpers.js';

function withActive(trk: ReturnType<typeof makeTracker>, active: number[]): ReturnType<typeof makeTracker> {
  trk.visit((id, pr) => {
    pr.recentActive = active.includes(id);
  });
  return trk;
}

describe('ProgressTracker.quorumActive', () => {
  test.each([
    { voters: [1, 2, 3], active: [1, 2], want: true },
    { voters: [1, 2, 3], active: [1], want: false },
    { voters: [1, 2, 3, 4], active: [1, 2], want: false },
    { voters: [1, 2, 3, 4], active: [1, 2, 3], want: true },
    { voters: [1], active: [1], want: true },
    { voters: [1], active: [], want: false },
  ])('voters=$voters active=$active → $want', ({ voters, active, want }) => {
    expect(withActive(makeTracker({ voters }), active).quorumActive()).toBe(want);
  });

  test('learners are excluded even when active', () => {
    const trk = withActive(makeTracker({ voters: [1, 2, 3], learners: [4, 5] }), [1, 4, 5]);
    expect(trk.quorumActive()).toBe(false);
  });

  test('joint configs need an active quorum in both halves', () => {
    const trk = makeTracker({ voters: [1, 2, 3], outgoing: [1, 4, 5] });
    expect(withActive(trk, [1, 2, 3]).quorumActive()).toBe(false);
    expect(withActive(trk, [1, 2, 4]).quorumActive()).toBe(true);
  });
});
