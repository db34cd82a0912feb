import { describe, expect, test } from 'vitest';
import { ProgressState } from '../../../src/raft/tracker/index.js';
import { makeProgress } from './helpers.js';

const { StateProbe, StateReplicate, StateSnapshot } = ProgressState;

describe('Progress state transitions', () => {
  test.each([
    { name: 'replicate → probe', state: StateReplicate, match: 1, next: 5, pending: 0, wnext: 2 },
    { name: 'snapshot → probe, snapshot ahead of match', state: StateSnapshot, match: 1, next: 11, pending: 10, wnext: 11 },
    { name: 'snapshot → probe, match ahead of snapshot', state: StateSnapshot, match: 12, next: 13, pending: 10, wnext: 13 },
    { name: 'probe → probe', state: StateProbe, match: 3, next: 9, pending: 0, wnext: 4 },
  ])('becomeProbe: $name', ({ state, match, next, pending, wnext }) => {
    const pr = makeProgress({ state, match, next, pendingSnapshot: pending, paused: true });
    if (state === StateReplicate) pr.inflights.add(4, 10);
    pr.becomeProbe();
    expect(pr.state).toBe(StateProbe);
    expect(pr.match).toBe(match);
    expect(pr.next).toBe(wnext);
    expect(pr.pendingSnapshot).toBe(0);
    expect(pr.msgAppFlowPaused).toBe(false);
    expect(pr.inflights.count()).toBe(0);
  });

  test.each([
    { from: StateProbe, sentCommit: 9, match: 3, next: 10, wsent: 3 },
    { from: StateReplicate, sentCommit: 2, match: 3, next: 10, wsent: 2 },
    { from: StateSnapshot, sentCommit: 10, match: 3, next: 11, pending: 10, wsent: 10 },
  ])('becomeProbe clamps sentCommit to next-1 (from $from)', ({ from, sentCommit, match, next, pending, wsent }) => {
    const pr = makeProgress({ state: from, sentCommit, match, next, pendingSnapshot: pending ?? 0 });
    pr.becomeProbe();
    expect(pr.sentCommit).toBe(wsent);
  });

  test('becomeReplicate restarts at match+1 with an empty window', () => {
    const pr = makeProgress({ state: StateProbe, match: 4, next: 9, paused: true, sentCommit: 7 });
    pr.becomeReplicate();
    expect(pr.state).toBe(StateReplicate);
    expect(pr.next).toBe(5);
    expect(pr.msgAppFlowPaused).toBe(false);
    expect(pr.sentCommit).toBe(7);
  });

  test('becomeSnapshot sets pendingSnapshot, next and sentCommit', () => {
    const pr = makeProgress({ state: StateReplicate, match: 2, next: 8, sentCommit: 1 });
    pr.inflights.add(7, 1);
    pr.becomeSnapshot(20);
    expect(pr.state).toBe(StateSnapshot);
    expect(pr.pendingSnapshot).toBe(20);
    expect(pr.next).toBe(21);
    expect(pr.sentCommit).toBe(20);
    expect(pr.match).toBe(2);
    expect(pr.inflights.count()).toBe(0);
    expect(pr.isPaused()).toBe(true);
  });

  test('resetState clears pause, pending snapshot and window', () => {
    const pr = makeProgress({ state: StateSnapshot, match: 2, next: 8, pendingSnapshot: 7, paused: true });
    pr.resetState(StateReplicate);
    expect(pr.state).toBe(StateReplicate);
    expect(pr.pendingSnapshot).toBe(0);
    expect(pr.msgAppFlowPaused).toBe(false);
    expect(pr.next).toBe(8);
  });

  test.each([
    { name: 'stale ack', match: 5, next: 10, n: 4, wok: false, wmatch: 5, wnext: 10 },
    { name: 'duplicate ack', match: 5, next: 10, n: 5, wok: false, wmatch: 5, wnext: 10 },
    { name: 'ack below next', match: 5, next: 10, n: 7, wok: true, wmatch: 7, wnext: 10 },
    { name: 'ack at next-1', match: 5, next: 10, n: 9, wok: true, wmatch: 9, wnext: 10 },
    { name: 'ack beyond next raises next', match: 5, next: 10, n: 12, wok: true, wmatch: 12, wnext: 13 },
  ])('maybeUpdate: $name', ({ match, next, n, wok, wmatch, wnext }) => {
    const pr = makeProgress({ state: StateProbe, match, next, paused: true });
    expect(pr.maybeUpdate(n)).toBe(wok);
    expect(pr.match).toBe(wmatch);
    expect(pr.next).toBe(wnext);
    expect(pr.msgAppFlowPaused).toBe(!wok);
  });

  test('clone is deep and equal', () => {
    const pr = makeProgress({ state: StateReplicate, match: 3, next: 4, sentCommit: 2, isLearner: true, recentActive: false });
    pr.sentEntries(2, 100);
    const c = pr.clone();
    expect(c).not.toBe(pr);
    expect(c.inflights).not.toBe(pr.inflights);
    expect(c.toString()).toBe(pr.toString());
    for (const k of ['match', 'next', 'sentCommit', 'state', 'pendingSnapshot', 'recentActive', 'msgAppFlowPaused', 'isLearner'] as const) {
      expect(c[k], k).toBe(pr[k]);
    }
    expect(c.inflights.entries()).toEqual(pr.inflights.entries());
    c.inflights.freeLE(100);
    expect(pr.inflights.count()).toBe(1);
  });
});
