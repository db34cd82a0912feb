import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, test } from 'vitest';
import { ChurnMap } from '../src/churn-map.js';
import { SeededRng } from '../src/raft/rng.js';
import { collectGarbage, scavenge } from './helpers/gc.js';

describe('ChurnMap', () => {
  test('behaves as a Map over random sets, deletes, reads and clears, moving its entries many times', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new SeededRng(seed);
      const m = new ChurnMap<number, number>(8, 64);
      const ref = new Map<number, number>();
      const wrong: string[] = [];
      for (let step = 0; step < 3000; step++) {
        const k = rng.nextInt(96);
        const op = rng.nextInt(1000);
        if (op < 450) {
          if (m.set(k, step) !== m) wrong.push(`${step}: set returned another object`);
          ref.set(k, step);
        } else if (op < 900) {
          if (m.delete(k) !== ref.delete(k)) wrong.push(`${step}: delete(${k})`);
        } else if (op < 998) {
          if (m.get(k) !== ref.get(k) || m.has(k) !== ref.has(k)) wrong.push(`${step}: get/has(${k})`);
        } else {
          m.clear();
          ref.clear();
        }
        if (m.size !== ref.size) wrong.push(`${step}: size ${m.size} vs ${ref.size}`);
      }
      expect(wrong).toEqual([]);
      expect([...m]).toEqual([...ref]);
      expect([...m.keys()]).toEqual([...ref.keys()]);
      expect([...m.values()]).toEqual([...ref.values()]);
      expect([...m.entries()]).toEqual([...ref.entries()]);
      expect(m.renewals).toBeGreaterThan(5);
    }
  });

  test('moves only after as many deletions as it holds, and only while it holds at most maxRenewSize', () => {
    const m = new ChurnMap<number, string>(4, 10);
    for (let i = 0; i < 8; i++) m.set(i, 'v');
    for (let i = 0; i < 7; i++) m.delete(i);
    m.set(100, 'v');
    expect(m.renewals).toBe(1);
    expect([...m.keys()]).toEqual([7, 100]);
    const big = new ChurnMap<number, string>(4, 10);
    for (let i = 0; i < 30; i++) big.set(i, 'v');
    for (let i = 0; i < 15; i++) big.delete(i);
    big.set(100, 'v');
    expect(big.renewals).toBe(0);
    expect(big.size).toBe(16);
  });

  test('iterating while deleting sees every entry, across a move', () => {
    const m = new ChurnMap<number, number>(2, 100);
    for (let i = 0; i < 10; i++) m.set(i, i);
    for (let i = 0; i < 8; i++) m.delete(i);
    for (let i = 10; i < 20; i++) m.set(i, i); // the first of these moves the entries
    expect(m.renewals).toBe(1);
    const seen: number[] = [];
    for (const [k] of m) {
      seen.push(k);
      m.delete(k);
    }
    expect(seen).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(m.size).toBe(0);
  });

  // The reason it exists: once a full collection moved a Map's table to the old generation, the
  // tables that replace it keep deleted entries alive through scavenges, and they are promoted.
  test('entries deleted before a scavenge are not promoted after a full collection, as a Map\'s are', () => {
    const oldSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
    // Each run allocates its entries at its own allocation site: V8 would otherwise allocate the
    // second run's entries in the old generation at once, having seen the first run's promoted.
    const promoted = (m: { set(k: number, v: unknown): unknown; delete(k: number): boolean }, entry: (i: number) => unknown): number => {
      for (let i = 0; i < 64; i++) m.set(i, entry(i));
      collectGarbage();
      const before = oldSpace();
      for (let i = 64; i < 8064; i++) {
        m.set(i, entry(i));
        m.delete(i - 64);
        if (i % 500 === 0) scavenge();
      }
      scavenge();
      scavenge();
      return oldSpace() - before;
    };
    const withChurnMap = promoted(new ChurnMap<number, unknown>(), (i) => ({ payload: new Array<number>(64).fill(i) }));
    const withMap = promoted(new Map<number, unknown>(), (i) => ({ payload: new Array<number>(64).fill(i) }));
    // About 8,000 entries of ~600 bytes each: a Map promotes most of them.
    expect(withMap).toBeGreaterThan(2_000_000);
    expect(withChurnMap).toBeLessThan(withMap / 5);
  });
});
