import { describe, expect, test } from 'vitest';
import { JointConfig, MajorityConfig } from '../../../src/raft/quorum/index.js';

function joint(incoming: number[], outgoing: number[]): JointConfig {
  return new JointConfig(new MajorityConfig(incoming), new MajorityConfig(outgoing));
}

function fromRecord(r: Record<number, number>): (id: number) => number | undefined {
  return (id) => r[id];
}

describe('JointConfig.committedIndex', () => {
  test.each([
    { name: 'not joint behaves like incoming', inc: [1, 2, 3], out: [], acks: { 1: 100, 2: 101, 3: 99 }, want: 100 },
    { name: 'identical halves', inc: [1, 2, 3], out: [1, 2, 3], acks: { 1: 100, 2: 101, 3: 99 }, want: 100 },
    { name: 'outgoing lags', inc: [1, 2, 3], out: [4, 5, 6], acks: { 1: 100, 2: 101, 3: 99, 4: 50, 5: 60, 6: 70 }, want: 60 },
    { name: 'incoming lags', inc: [1, 2, 3], out: [4, 5, 6], acks: { 1: 10, 2: 11, 3: 9, 4: 50, 5: 60, 6: 70 }, want: 10 },
    { name: 'overlapping halves', inc: [1, 2, 3], out: [1, 2, 4], acks: { 1: 5, 2: 4, 3: 9, 4: 1 }, want: 4 },
    { name: 'unknown acks count as 0', inc: [1, 2], out: [3], acks: { 1: 8, 2: 8 }, want: 0 },
    { name: 'only outgoing populated', inc: [], out: [1, 2, 3], acks: { 1: 3, 2: 2, 3: 1 }, want: 2 },
  ])('$name', ({ inc, out, acks, want }) => {
    expect(joint(inc, out).committedIndex(fromRecord(acks))).toBe(want);
  });

  test('both halves empty commit Infinity', () => {
    expect(new JointConfig().committedIndex(() => 1)).toBe(Infinity);
  });
});
