import { describe, expect, test } from 'vitest';
import { Inflights, Progress } from '../../../src/raft/tracker/index.js';
import { makeTracker } from './tracker-helpers.js';

function visited(trk: ReturnType<typeof makeTracker>): number[] {
  const out: number[] = [];
  trk.visit((id) => out.push(id));
  return out;
}

function fresh(): Progress {
  return new Progress({ match: 0, next: 1, inflights: new Inflights(1, Infinity) });
}

describe('ProgressTracker.visit', () => {
  test('visits in ascending id order whatever the insertion order', () => {
    const trk = makeTracker({ voters: [30, 2, 11], learners: [7, 1] });
    expect(visited(trk)).toEqual([1, 2, 7, 11, 30]);
  });

  test('notices entries added, deleted and swapped in place', () => {
    const trk = makeTracker({ voters: [1, 2, 3] });
    expect(visited(trk)).toEqual([1, 2, 3]);
    trk.progress.set(0.5, fresh());
    trk.progress.set(9, fresh());
    expect(visited(trk)).toEqual([0.5, 1, 2, 3, 9]);
    trk.progress.delete(2);
    expect(visited(trk)).toEqual([0.5, 1, 3, 9]);
    // Same size, different key set.
    trk.progress.delete(9);
    trk.progress.set(4, fresh());
    expect(visited(trk)).toEqual([0.5, 1, 3, 4]);
  });

  test('notices a reassigned progress map of the same size', () => {
    const trk = makeTracker({ voters: [1, 2, 3] });
    expect(visited(trk)).toEqual([1, 2, 3]);
    trk.progress = makeTracker({ voters: [4, 5, 6] }).progress;
    expect(visited(trk)).toEqual([4, 5, 6]);
    trk.applyConfig(makeTracker({ voters: [7] }).config, makeTracker({ voters: [7] }).progress);
    expect(visited(trk)).toEqual([7]);
  });

  test('the callback may replace entries (as reset() does) and sees the live progress', () => {
    const trk = makeTracker({ voters: [1, 2, 3] });
    const seen: Progress[] = [];
    trk.visit((id) => trk.progress.set(id, fresh()));
    trk.visit((_, pr) => seen.push(pr));
    expect(seen).toEqual([trk.progress.get(1), trk.progress.get(2), trk.progress.get(3)]);
  });

  test('peers deleted during the visit are skipped, peers added are not visited', () => {
    const trk = makeTracker({ voters: [1, 2, 3] });
    const out: number[] = [];
    trk.visit((id) => {
      out.push(id);
      if (id === 1) {
        trk.progress.delete(2);
        trk.progress.set(4, fresh());
      }
    });
    expect(out).toEqual([1, 3]);
    expect(visited(trk)).toEqual([1, 3, 4]);
  });
});
