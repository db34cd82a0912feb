import { describe, expect, test } from 'vitest';
import { MajorityConfig, VoteResult, VoteResultName } from '../../../src/raft/quorum/index.js';

const { VotePending, VoteLost, VoteWon } = VoteResult;

/** `y` granted, `n` rejected, `_` missing, one character per id in order. */
function votes(ids: number[], pattern: string): Map<number, boolean> {
  const m = new Map<number, boolean>();
  ids.forEach((id, i) => {
    const c = pattern[i];
    if (c === 'y') m.set(id, true);
    else if (c === 'n') m.set(id, false);
  });
  return m;
}

describe('MajorityConfig.voteResult', () => {
  test.each([
    { ids: [], pattern: '', want: VoteWon },
    { ids: [1], pattern: '_', want: VotePending },
    { ids: [1], pattern: 'y', want: VoteWon },
    { ids: [1], pattern: 'n', want: VoteLost },
    { ids: [1, 2], pattern: '__', want: VotePending },
    { ids: [1, 2], pattern: 'y_', want: VotePending },
    { ids: [1, 2], pattern: 'yy', want: VoteWon },
    { ids: [1, 2], pattern: 'yn', want: VoteLost },
    { ids: [1, 2], pattern: 'n_', want: VoteLost },
    { ids: [1, 2, 3], pattern: 'yy_', want: VoteWon },
    { ids: [1, 2, 3], pattern: 'y__', want: VotePending },
    { ids: [1, 2, 3], pattern: 'yn_', want: VotePending },
    { ids: [1, 2, 3], pattern: 'nn_', want: VoteLost },
    { ids: [1, 2, 3], pattern: 'yny', want: VoteWon },
    { ids: [1, 2, 3, 4], pattern: 'yy__', want: VotePending },
    { ids: [1, 2, 3, 4], pattern: 'yyn_', want: VotePending },
    { ids: [1, 2, 3, 4], pattern: 'yynn', want: VoteLost },
    { ids: [1, 2, 3, 4], pattern: 'yyy_', want: VoteWon },
    { ids: [1, 2, 3, 4, 5], pattern: 'yyy__', want: VoteWon },
    { ids: [1, 2, 3, 4, 5], pattern: 'nnn__', want: VoteLost },
    { ids: [1, 2, 3, 4, 5], pattern: 'yynn_', want: VotePending },
  ])('($ids) votes=$pattern → $want', ({ ids, pattern, want }) => {
    expect(VoteResultName[new MajorityConfig(ids).voteResult(votes(ids, pattern))]).toBe(VoteResultName[want]);
  });

  test('votes of non-voters are ignored', () => {
    const c = new MajorityConfig([1, 2, 3]);
    const v = new Map([
      [1, true],
      [7, true],
      [8, true],
    ]);
    expect(c.voteResult(v)).toBe(VotePending);
  });
});
