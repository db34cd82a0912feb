import { describe, expect, test } from 'vitest';
import { ProgressState, ProgressStateName } from '../../../src/raft/tracker/index.js';
import { makeProgress } from './helpers.js';

const { StateProbe, StateReplicate, StateSnapshot } = ProgressState;

describe('Progress.isPaused and toString', () => {
  test.each([
    { state: StateProbe, paused: false, want: false },
    { state: StateProbe, paused: true, want: true },
    { state: StateReplicate, paused: false, want: false },
    { state: StateReplicate, paused: true, want: true },
    { state: StateSnapshot, paused: false, want: true },
    { state: StateSnapshot, paused: true, want: true },
  ])('$state paused=$paused → $want', ({ state, paused, want }) => {
    expect(makeProgress({ state, match: 0, next: 1, paused }).isPaused()).toBe(want);
  });

  test('state names', () => {
    expect(ProgressStateName[StateProbe]).toBe('StateProbe');
    expect(ProgressStateName[StateReplicate]).toBe('StateReplicate');
    expect(ProgressStateName[StateSnapshot]).toBe('StateSnapshot');
  });

  test('toString of a plain probing follower', () => {
    expect(makeProgress({ match: 0, next: 1 }).toString()).toBe('StateProbe match=0 next=1');
  });

  test('toString with every flag', () => {
    const pr = makeProgress({ state: StateReplicate, match: 5, next: 6, size: 2, isLearner: true, recentActive: false });
    pr.sentEntries(1, 1);
    pr.sentEntries(1, 1);
    pr.pendingSnapshot = 3; // not reachable in StateReplicate, but printed when set
    expect(pr.toString()).toBe('StateReplicate match=5 next=8 learner paused pendingSnap=3 inactive inflight=2[full]');
  });

  test('toString of a snapshotting follower', () => {
    const pr = makeProgress({ match: 1, next: 2 });
    pr.becomeSnapshot(10);
    expect(pr.toString()).toBe('StateSnapshot match=1 next=11 paused pendingSnap=10');
  });

  test('toString shows a partly used window without [full]', () => {
    const pr = makeProgress({ state: StateReplicate, match: 5, next: 6, size: 5 });
    pr.sentEntries(1, 1);
    expect(pr.toString()).toBe('StateReplicate match=5 next=7 inflight=1');
  });
});
