import { describe, expect, test } from 'vitest';
import { makeTracker } from './tracker-helpers.js';

describe('ProgressTracker.committed', () => {
  test('majority of voter matches', () => {
    const trk = makeTracker({ voters: [1, 2, 3], match: { 1: 10, 2: 7, 3: 3 } });
    expect(trk.committed()).toBe(7);
  });

  test('learners do not count', () => {
    const trk = makeTracker({ voters: [1, 2, 3], learners: [4, 5], match: { 1: 10, 2: 1, 3: 1, 4: 10, 5: 10 } });
    expect(trk.committed()).toBe(1);
  });

  test('joint config needs both halves', () => {
    const trk = makeTracker({ voters: [1, 2, 3], outgoing: [1, 4, 5], match: { 1: 10, 2: 9, 3: 8, 4: 2, 5: 1 } });
    expect(trk.committed()).toBe(2);
  });

  test('follows in-place updates and reassignment of progress', () => {
    const trk = makeTracker({ voters: [1, 2, 3], match: { 1: 10, 2: 7, 3: 3 } });
    trk.progress.get(3)!.maybeUpdate(9);
    expect(trk.committed()).toBe(9);
    const other = makeTracker({ voters: [1, 2, 3], match: { 1: 1, 2: 1, 3: 1 } });
    trk.progress = other.progress;
    expect(trk.committed()).toBe(1);
  });

  test('a voter without progress counts as 0', () => {
    const trk = makeTracker({ voters: [1, 2, 3], match: { 1: 10, 2: 7, 3: 3 } });
    trk.progress.delete(2);
    expect(trk.committed()).toBe(3);
  });

  test('isSingleton', () => {
    expect(makeTracker({ voters: [1] }).isSingleton()).toBe(true);
    expect(makeTracker({ voters: [1], learners: [2] }).isSingleton()).toBe(true);
    expect(makeTracker({ voters: [1, 2] }).isSingleton()).toBe(false);
    expect(makeTracker({ voters: [1], outgoing: [1, 2] }).isSingleton()).toBe(false);
    expect(makeTracker({ voters: [] }).isSingleton()).toBe(false);
  });
});
