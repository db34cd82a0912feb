import { describe, expect, test } from 'vitest';
import { MajorityConfig, mapAckedIndexer } from '../../../src/raft/quorum/index.js';

/** Builds an indexer from parallel id/index lists; an index of undefined leaves the id unknown. */
function acks(ids: number[], idxs: Array<number | undefined>): (id: number) => number | undefined {
  const m = new Map<number, number>();
  ids.forEach((id, i) => {
    const v = idxs[i];
    if (v !== undefined) m.set(id, v);
  });
  return mapAckedIndexer(m);
}

describe('MajorityConfig.committedIndex', () => {
  test.each([
    { name: 'single voter', ids: [1], idxs: [12], want: 12 },
    { name: 'single voter unknown', ids: [1], idxs: [undefined], want: 0 },
    { name: 'two voters take the smaller', ids: [1, 2], idxs: [100, 101], want: 100 },
    { name: 'two voters one unknown', ids: [1, 2], idxs: [100, undefined], want: 0 },
    { name: 'three voters median', ids: [1, 2, 3], idxs: [100, 101, 99], want: 100 },
    { name: 'three voters one unknown', ids: [1, 2, 3], idxs: [100, undefined, 99], want: 99 },
    { name: 'three voters two unknown', ids: [1, 2, 3], idxs: [undefined, undefined, 99], want: 0 },
    { name: 'three voters all equal', ids: [1, 2, 3], idxs: [7, 7, 7], want: 7 },
    { name: 'four voters need three', ids: [1, 2, 3, 4], idxs: [101, 104, 103, 103], want: 103 },
    { name: 'four voters split', ids: [1, 2, 3, 4], idxs: [100, 100, 200, 200], want: 100 },
    { name: 'five voters', ids: [1, 2, 3, 4, 5], idxs: [101, 104, 103, 103, 0], want: 103 },
    { name: 'five voters two unknown', ids: [1, 2, 3, 4, 5], idxs: [5, undefined, 9, undefined, 8], want: 5 },
    { name: 'seven voters', ids: [1, 2, 3, 4, 5, 6, 7], idxs: [1, 2, 3, 4, 5, 6, 7], want: 4 },
    { name: 'ids need not be dense', ids: [10, 3, 77], idxs: [5, 6, 7], want: 6 },
  ])('$name', ({ ids, idxs, want }) => {
    expect(new MajorityConfig(ids).committedIndex(acks(ids, idxs))).toBe(want);
  });

  test('empty config commits Infinity so a joint min() ignores it', () => {
    expect(new MajorityConfig().committedIndex(() => 5)).toBe(Infinity);
  });

  test('large configs (native sort path) agree with the quorum rule', () => {
    const ids = Array.from({ length: 41 }, (_, i) => i + 1);
    // Voter i acked 1000 - i: the 21st largest is 1000 - 21.
    const want = 1000 - 21;
    expect(new MajorityConfig(ids).committedIndex((id) => 1000 - id)).toBe(want);
  });

  test('results stay correct when the id set changes between calls (scratch reuse)', () => {
    const c = new MajorityConfig([1, 2, 3]);
    const l = (id: number): number => id * 10;
    expect(c.committedIndex(l)).toBe(20);
    c.ids.add(4);
    c.ids.add(5);
    expect(c.committedIndex(l)).toBe(30);
    c.ids.delete(5);
    c.ids.delete(4);
    c.ids.delete(3);
    expect(c.committedIndex(l)).toBe(10);
    c.ids.clear();
    expect(c.committedIndex(l)).toBe(Infinity);
  });
});
