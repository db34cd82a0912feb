import { expect, test } from 'vitest';
import { SeededRng } from '../../../src/raft/rng.js';
import { orderByTime } from '../../../src/testing/linearizability/time-order.js';

/** The order a stable comparator sort gives: by time, then index. */
function expected(times: readonly number[]): number[] {
  return times.map((_, i) => i).sort((a, b) => (times[a]! < times[b]! ? -1 : times[a]! > times[b]! ? 1 : a - b));
}

test('time order: by (time, index) for ordered, nearly ordered, reversed, shuffled and bunched times, with ties and infinities', () => {
  const rng = new SeededRng(7);
  const pool = [0, -0, 1, 2.5, -3, 1e9, Infinity, -Infinity];
  for (let round = 0; round < 500; round++) {
    const n = rng.nextInt(round < 100 ? 40 : 300);
    const shape = round % 6;
    const time = (i: number): number => {
      if (shape === 3) return pool[rng.nextInt(pool.length)]!;
      // Shuffled times spread evenly (the bucket sort), or bunched but for one far away (the merge sort).
      if (shape === 4) return rng.nextInt(3 * n) / 7;
      if (shape === 5) return i === 0 ? 1e12 : rng.nextInt(1000) / 1000;
      return i + rng.nextInt(3);
    };
    let times = Array.from({ length: n }, (_, i) => time(i));
    if (shape === 1) for (let s = 0; s + 1 < n; s += 1 + rng.nextInt(20)) [times[s], times[s + 1]] = [times[s + 1]!, times[s]!];
    if (shape === 2) times = times.reverse();
    // The arrays may be longer than the order (pooled buffers).
    const order = new Int32Array(n);
    const temp = new Int32Array(n + 5).fill(-7);
    const result = orderByTime(Float64Array.from([...times, 42, -42]), order, temp);
    expect(result).toBe(order);
    expect([...order]).toEqual(expected(times));
  }
});
