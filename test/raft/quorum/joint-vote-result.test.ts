import { describe, expect, test } from 'vitest';
import { JointConfig, MajorityConfig, VoteResult } from '../../../src/raft/quorum/index.js';

const { VotePending, VoteLost, VoteWon } = VoteResult;

function joint(incoming: number[], outgoing: number[]): JointConfig {
  return new JointConfig(new MajorityConfig(incoming), new MajorityConfig(outgoing));
}

function votes(r: Record<number, boolean>): Map<number, boolean> {
  return new Map(Object.entries(r).map(([k, v]) => [Number(k), v]));
}

describe('JointConfig.voteResult', () => {
  test.each([
    { inc: [], out: [], v: {}, want: VoteWon },
    { inc: [1, 2, 3], out: [], v: { 1: true, 2: true }, want: VoteWon },
    { inc: [1, 2, 3], out: [], v: { 1: false, 2: false }, want: VoteLost },
    { inc: [1, 2, 3], out: [1, 2, 3], v: { 1: true, 2: true }, want: VoteWon },
    { inc: [1, 2, 3], out: [4, 5, 6], v: { 1: true, 2: true }, want: VotePending },
    { inc: [1, 2, 3], out: [4, 5, 6], v: { 1: true, 2: true, 4: true, 5: true }, want: VoteWon },
    { inc: [1, 2, 3], out: [4, 5, 6], v: { 1: true, 2: true, 4: false, 5: false }, want: VoteLost },
    { inc: [1, 2, 3], out: [4, 5, 6], v: { 1: false, 2: false, 4: true, 5: true }, want: VoteLost },
    { inc: [1, 2, 3], out: [4, 5, 6], v: { 1: false, 2: false }, want: VoteLost },
    { inc: [1, 2, 3], out: [4, 5, 6], v: { 1: true, 4: true }, want: VotePending },
    { inc: [1, 2, 3], out: [1, 4, 5], v: { 1: true, 2: true }, want: VotePending },
    { inc: [1, 2, 3], out: [1, 4, 5], v: { 1: true, 2: true, 4: true }, want: VoteWon },
    { inc: [1, 2], out: [1, 2, 3], v: { 1: true, 3: true }, want: VotePending },
  ])('($inc)&&($out) $v → $want', ({ inc, out, v, want }) => {
    expect(joint(inc, out).voteResult(votes(v))).toBe(want);
  });
});
