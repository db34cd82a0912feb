import { describe, expect, test } from 'vitest';
import { VoteResult } from '../../../src/raft/quorum/index.js';
import { makeTracker } from './tracker-helpers.js';

describe('ProgressTracker votes', () => {
  test('first vote wins and tally counts granted and rejected', () => {
    const trk = makeTracker({ voters: [1, 2, 3, 4, 5] });
    trk.recordVote(1, true);
    trk.recordVote(2, false);
    trk.recordVote(2, true); // ignored: 2 already voted
    expect(trk.tallyVotes()).toEqual({ granted: 1, rejected: 1, result: VoteResult.VotePending });
    trk.recordVote(3, true);
    trk.recordVote(4, true);
    expect(trk.tallyVotes()).toEqual({ granted: 3, rejected: 1, result: VoteResult.VoteWon });
  });

  test('a quorum of rejections loses', () => {
    const trk = makeTracker({ voters: [1, 2, 3] });
    trk.recordVote(1, true);
    trk.recordVote(2, false);
    trk.recordVote(3, false);
    expect(trk.tallyVotes()).toEqual({ granted: 1, rejected: 2, result: VoteResult.VoteLost });
  });

  test('votes of learners and unknown peers are not counted', () => {
    const trk = makeTracker({ voters: [1, 2, 3], learners: [4] });
    trk.recordVote(4, true);
    trk.recordVote(9, true);
    trk.recordVote(1, true);
    expect(trk.tallyVotes()).toEqual({ granted: 1, rejected: 0, result: VoteResult.VotePending });
  });

  test('joint elections need both halves', () => {
    const trk = makeTracker({ voters: [1, 2, 3], outgoing: [1, 4, 5] });
    trk.recordVote(1, true);
    trk.recordVote(2, true);
    expect(trk.tallyVotes().result).toBe(VoteResult.VotePending);
    trk.recordVote(4, true);
    expect(trk.tallyVotes()).toEqual({ granted: 3, rejected: 0, result: VoteResult.VoteWon });
  });

  test('resetVotes forgets the election', () => {
    const trk = makeTracker({ voters: [1, 2, 3] });
    trk.recordVote(1, false);
    trk.resetVotes();
    trk.recordVote(1, true);
    expect(trk.votes.get(1)).toBe(true);
    expect(trk.tallyVotes()).toEqual({ granted: 1, rejected: 0, result: VoteResult.VotePending });
  });
});
