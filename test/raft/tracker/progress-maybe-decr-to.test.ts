import { describe, expect, test } from 'vitest';
import { ProgressState } from '../../../src/raft/tracker/index.js';
import { makeProgress } from './helpers.js';

const { StateProbe, StateReplicate, StateSnapshot } = ProgressState;

describe('Progress.maybeDecrTo', () => {
  test.each([
    // StateReplicate: stale iff rejected <= match; otherwise next = match + 1.
    { name: 'replicate: rejected below match is stale', state: StateReplicate, match: 5, next: 10, rejected: 4, hint: 4, wok: false, wnext: 10 },
    { name: 'replicate: rejected at match is stale', state: StateReplicate, match: 5, next: 10, rejected: 5, hint: 5, wok: false, wnext: 10 },
    { name: 'replicate: genuine rejection falls back to match+1', state: StateReplicate, match: 5, next: 10, rejected: 9, hint: 9, wok: true, wnext: 6 },
    { name: 'replicate: hint is ignored', state: StateReplicate, match: 5, next: 10, rejected: 9, hint: 7, wok: true, wnext: 6 },
    // StateProbe: stale iff rejected != next - 1; next = max(min(rejected, hint+1), match+1).
    { name: 'probe: rejection of an older probe is stale', state: StateProbe, match: 0, next: 10, rejected: 5, hint: 5, wok: false, wnext: 10 },
    { name: 'probe: rejected beyond next-1 is stale', state: StateProbe, match: 0, next: 10, rejected: 10, hint: 5, wok: false, wnext: 10 },
    { name: 'probe: hint at rejected keeps rejected', state: StateProbe, match: 0, next: 10, rejected: 9, hint: 9, wok: true, wnext: 9 },
    { name: 'probe: hint jumps back', state: StateProbe, match: 0, next: 10, rejected: 9, hint: 2, wok: true, wnext: 3 },
    { name: 'probe: hint 0', state: StateProbe, match: 0, next: 10, rejected: 9, hint: 0, wok: true, wnext: 1 },
    { name: 'probe: next never below match+1', state: StateProbe, match: 5, next: 10, rejected: 9, hint: 1, wok: true, wnext: 6 },
    { name: 'probe: hint above rejected is capped', state: StateProbe, match: 0, next: 10, rejected: 9, hint: 20, wok: true, wnext: 9 },
    // StateSnapshot follows the probe rule (it is not StateReplicate).
    { name: 'snapshot: matching rejection', state: StateSnapshot, match: 0, next: 11, rejected: 10, hint: 3, wok: true, wnext: 4 },
  ])('$name', ({ state, match, next, rejected, hint, wok, wnext }) => {
    const pr = makeProgress({ state, match, next });
    expect(pr.maybeDecrTo(rejected, hint)).toBe(wok);
    expect(pr.match).toBe(match);
    expect(pr.next).toBe(wnext);
  });

  test('probe: a genuine rejection unpauses the flow', () => {
    const pr = makeProgress({ state: StateProbe, match: 0, next: 10, paused: true });
    expect(pr.maybeDecrTo(9, 9)).toBe(true);
    expect(pr.msgAppFlowPaused).toBe(false);
    expect(pr.isPaused()).toBe(false);
  });

  test('probe: a stale rejection leaves the flow paused', () => {
    const pr = makeProgress({ state: StateProbe, match: 0, next: 10, paused: true });
    expect(pr.maybeDecrTo(3, 3)).toBe(false);
    expect(pr.msgAppFlowPaused).toBe(true);
  });

  test.each([
    { state: StateReplicate, sentCommit: 8, match: 5, next: 10, rejected: 9, hint: 9, wsent: 5 },
    { state: StateReplicate, sentCommit: 3, match: 5, next: 10, rejected: 9, hint: 9, wsent: 3 },
    { state: StateProbe, sentCommit: 8, match: 0, next: 10, rejected: 9, hint: 2, wsent: 2 },
    { state: StateProbe, sentCommit: 1, match: 0, next: 10, rejected: 9, hint: 2, wsent: 1 },
  ])('clamps sentCommit to next-1 ($state, sentCommit=$sentCommit)', ({ state, sentCommit, match, next, rejected, hint, wsent }) => {
    const pr = makeProgress({ state, sentCommit, match, next });
    expect(pr.maybeDecrTo(rejected, hint)).toBe(true);
    expect(pr.sentCommit).toBe(wsent);
  });
});
