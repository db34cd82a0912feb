import { expect, test } from 'vitest';
import { aggregateSlices, LATENCY_QUANTILES, pairSpread, sliceSchedule, type Slice } from '../../bench/slices.js';

// The etcd bench's interleaved method: the order of the slices and what they add up to.

test('two systems alternate in pairs whose order flips: A B B A A B B A', () => {
  expect(sliceSchedule(2, 4)).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
  expect(sliceSchedule(2, 4, 1)).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
});

test.each([2, 4, 6, 8])('with %i slices each, each system gets as many slices, goes first in as many pairs, and follows the other as often as itself', (n) => {
  for (const first of [0, 1]) {
    const s = sliceSchedule(2, n, first);
    expect(s.filter((x) => x === 0)).toHaveLength(n);
    expect(s.filter((x) => x === 1)).toHaveLength(n);
    const pairs = Array.from({ length: n }, (_, k) => s.slice(2 * k, 2 * k + 2));
    expect(pairs.every((p) => p.includes(0) && p.includes(1))).toBe(true);
    expect(pairs.filter((p) => p[0] === 0)).toHaveLength(n / 2);
    // Slices after the first: which system came just before each of system 0's and system 1's.
    for (const sys of [0, 1]) {
      const after = s.flatMap((x, i) => (i > 0 && x === sys ? [s[i - 1]] : []));
      const afterSelf = after.filter((p) => p === sys).length;
      const afterOther = after.filter((p) => p !== sys).length;
      expect(Math.abs(afterSelf - afterOther)).toBeLessThanOrEqual(1);
    }
    // Mean position of each system's slices is the same: a linear drift over the row hits both alike.
    const mean = (sys: number): number => s.reduce((t, x, i) => t + (x === sys ? i : 0), 0) / n;
    expect(mean(0)).toBe(mean(1));
  }
});

test('one system repeats; anything else is refused', () => {
  expect(sliceSchedule(1, 3)).toEqual([0, 0, 0]);
  expect(() => sliceSchedule(3, 2)).toThrow(RangeError);
  expect(() => sliceSchedule(2, 0)).toThrow(RangeError);
  expect(() => sliceSchedule(2, 1.5)).toThrow(RangeError);
  expect(() => sliceSchedule(2, 2, 2)).toThrow(RangeError);
  expect(() => sliceSchedule(1, 2, 1)).toThrow(RangeError);
});

const slice = (system: number, ops: number, ms: number, latencies: number[] = [], cpuSeconds: number[] = [0, 0]): Slice => ({ system, ops, ms, latencies, cpuSeconds });

test('each system\'s ops/s is its total ops over its total measured time, not a mean of slice rates', () => {
  // System 0: 100 ops in 1000 ms, then 300 ops in 500 ms: 400 ops / 1.5 s, not (100 + 600) / 2.
  const sum = aggregateSlices([slice(0, 100, 1000), slice(1, 200, 1000), slice(1, 200, 1000), slice(0, 300, 500)], 2);
  expect(sum.systems[0]!.ops).toBe(400);
  expect(sum.systems[0]!.ms).toBe(1500);
  expect(sum.systems[0]!.opsPerSec).toBeCloseTo(400 / 1.5, 9);
  expect(sum.systems[1]!.opsPerSec).toBe(200);
  expect(sum.ratio).toBeCloseTo(400 / 1.5 / 200, 9);
  expect(sum.pairRatios).toEqual([0.5, 3]);
});

test('p99 is taken over all of a system\'s latencies together, not per slice', () => {
  const a = Array.from({ length: 99 }, () => 1);
  // 99 fast ops in one slice and one slow op in the other: the 99th percentile of the 100 is 1 ms,
  // while the second slice alone would say 50 ms.
  const sum = aggregateSlices([slice(0, 99, 1000, a), slice(1, 1, 1000, [7]), slice(1, 1, 1000, [9]), slice(0, 1, 1000, [50])], 2);
  expect(sum.systems[0]!.p99Ms).toBe(1);
  expect(sum.systems[1]!.p99Ms).toBe(9);
});

test('a system\'s idle CPU is what its members used while the other was under load, per second of that load', () => {
  // System 1's members used 0.02 s + 0.03 s of CPU during system 0's 2 s of slices: 25 ms/s.
  const sum = aggregateSlices([slice(0, 10, 1000, [], [0.5, 0.02]), slice(1, 10, 1000, [], [0.01, 0.4]), slice(1, 10, 1000, [], [0.03, 0.4]), slice(0, 10, 1000, [], [0.5, 0.03])], 2);
  expect(sum.systems[1]!.idleCpuMsPerSec).toBeCloseTo(25, 9);
  expect(sum.systems[0]!.idleCpuMsPerSec).toBeCloseTo(20, 9);
});

test('one system has no pairs, no ratio and no idle CPU', () => {
  const sum = aggregateSlices([slice(0, 10, 1000, [1]), slice(0, 30, 1000, [2])], 1);
  expect(sum.systems[0]!.opsPerSec).toBe(20);
  expect(sum.pairRatios).toEqual([]);
  expect(sum.ratio).toBeNaN();
  expect(sum.systems[0]!.idleCpuMsPerSec).toBeNaN();
});

test('slices that are not pairs of one slice of each system are refused', () => {
  expect(() => aggregateSlices([slice(0, 1, 1), slice(0, 1, 1)], 2)).toThrow(RangeError);
  expect(() => aggregateSlices([slice(0, 1, 1), slice(1, 1, 1), slice(0, 1, 1)], 2)).toThrow(RangeError);
});

test('the spread names the per-pair range, median and count', () => {
  expect(pairSpread([1.1, 0.9, 1.05, 1])).toBe('pairs 0.90-1.10, median 1.05, n 4');
  expect(pairSpread([])).toBe('');
});

test('the rest of the machine\'s load is averaged over each system\'s own slices, NaN when a slice did not say', () => {
  const at = (system: number, otherSeconds?: number): Slice => ({ ...slice(system, 10, 1000), ...(otherSeconds === undefined ? {} : { otherSeconds }) });
  const sum = aggregateSlices([at(0, 1.5), at(1, 0.5), at(1, 0.7), at(0, 1.1)], 2);
  expect(sum.systems[0]!.otherCores).toBeCloseTo(1.3, 9);
  expect(sum.systems[1]!.otherCores).toBeCloseTo(0.6, 9);
  expect(aggregateSlices([at(0, 1), at(1)], 2).systems[1]!.otherCores).toBeNaN();
});

test('the latency quantiles are taken over all of a system\'s latencies together, in LATENCY_QUANTILES\' order', () => {
  const ones = Array.from({ length: 998 }, () => 1);
  const sum = aggregateSlices([slice(0, 1000, 1000, [...ones.slice(0, 500), 7, 7]), slice(1, 10, 1000, [2]), slice(1, 10, 1000, [3]), slice(0, 1000, 1000, ones.slice(500))], 2);
  expect(LATENCY_QUANTILES).toEqual([50, 90, 99, 99.9]);
  expect(sum.systems[0]!.quantilesMs).toEqual([1, 1, 1, 7]);
  expect(sum.systems[1]!.quantilesMs).toEqual([2, 3, 3, 3]);
});
