import { describe, expect, test } from 'vitest';
import { ProgressState } from '../../../src/raft/tracker/index.js';
import { makeProgress } from './helpers.js';

const { StateProbe, StateReplicate, StateSnapshot } = ProgressState;

describe('Progress.sentEntries and commit tracking', () => {
  test('replicate: advances next and fills the window', () => {
    const pr = makeProgress({ state: StateReplicate, match: 5, next: 6, size: 2 });
    pr.sentEntries(3, 30);
    expect(pr.next).toBe(9);
    expect(pr.inflights.entries()).toEqual([{ index: 8, bytes: 30 }]);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(1, 10);
    expect(pr.next).toBe(10);
    expect(pr.inflights.full()).toBe(true);
    expect(pr.isPaused()).toBe(true);
  });

  test('replicate: the byte limit pauses the flow too', () => {
    const pr = makeProgress({ state: StateReplicate, match: 5, next: 6, size: 100, maxBytes: 50 });
    pr.sentEntries(1, 50);
    expect(pr.isPaused()).toBe(true);
  });

  test('replicate: an empty append changes nothing but re-evaluates the pause', () => {
    const pr = makeProgress({ state: StateReplicate, match: 5, next: 6, paused: true });
    pr.sentEntries(0, 0);
    expect(pr.next).toBe(6);
    expect(pr.inflights.count()).toBe(0);
    expect(pr.isPaused()).toBe(false);
  });

  test('replicate: an ack reopens a full window', () => {
    const pr = makeProgress({ state: StateReplicate, match: 5, next: 6, size: 1 });
    pr.sentEntries(1, 1);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeUpdate(6)).toBe(true);
    pr.inflights.freeLE(6);
    expect(pr.isPaused()).toBe(false);
  });

  test('probe: a non-empty append pauses until the follower answers; next stays', () => {
    const pr = makeProgress({ state: StateProbe, match: 5, next: 6 });
    pr.sentEntries(0, 0);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(4, 40);
    expect(pr.next).toBe(6);
    expect(pr.inflights.count()).toBe(0);
    expect(pr.isPaused()).toBe(true);
  });

  test('snapshot: sending appends is a bug', () => {
    const pr = makeProgress({ state: StateSnapshot, match: 5, next: 11, pendingSnapshot: 10 });
    expect(() => pr.sentEntries(1, 1)).toThrow(RangeError);
  });

  test.each([
    { sentCommit: 0, next: 6, index: 3, want: true },
    { sentCommit: 3, next: 6, index: 3, want: false },
    { sentCommit: 3, next: 6, index: 4, want: true },
    { sentCommit: 5, next: 6, index: 9, want: false },
    { sentCommit: 7, next: 6, index: 9, want: false },
    { sentCommit: 4, next: 6, index: 9, want: true },
  ])('canBumpCommit(sentCommit=$sentCommit next=$next index=$index) = $want', ({ sentCommit, next, index, want }) => {
    const pr = makeProgress({ state: StateReplicate, match: 0, next, sentCommit });
    expect(pr.canBumpCommit(index)).toBe(want);
  });

  test('setSentCommit records the value as sent', () => {
    const pr = makeProgress({ state: StateReplicate, match: 0, next: 6 });
    pr.setSentCommit(4);
    expect(pr.sentCommit).toBe(4);
    pr.setSentCommit(2);
    expect(pr.sentCommit).toBe(2);
  });
});
