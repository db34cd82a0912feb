import { expect, test } from 'vitest';
import { Changer, restore } from '../../../src/raft/confchange/index.js';
import type { ConfState } from '../../../src/raft/entry.js';
import { ProgressTracker } from '../../../src/raft/tracker/index.js';
import { SeededRng } from '../../../src/raft/rng.js';

function pick(rng: SeededRng, from: number[], max: number): number[] {
  const pool = from.slice();
  const n = rng.nextInt(Math.min(max, pool.length) + 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(pool.splice(rng.nextInt(pool.length), 1)[0]!);
  return out;
}

/**
 * A random valid ConfState (unsorted lists): at least one incoming voter; learners
 * disjoint from all voters; when joint, staged learners are outgoing voters that are not
 * incoming voters. Roughly one in twenty is the empty ConfState.
 */
function randomConfState(rng: SeededRng): ConfState {
  if (rng.nextInt(20) === 0) return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  // Twelve distinct, not necessarily dense, ids.
  const ids: number[] = [];
  for (let i = 0, id = 0; i < 12; i++) ids.push((id += 1 + rng.nextInt(3)));
  const voters = pick(rng, ids, 7);
  if (voters.length === 0) voters.push(ids[0]!);
  const joint = rng.nextInt(2) === 0;
  const votersOutgoing = joint ? pick(rng, ids, 7) : [];
  const outOnly = votersOutgoing.filter((id) => !voters.includes(id));
  const learnersNext = joint ? pick(rng, outOnly, 3) : [];
  const nonVoters = ids.filter((id) => !voters.includes(id) && !votersOutgoing.includes(id));
  const learners = pick(rng, nonVoters, 4);
  const autoLeave = votersOutgoing.length > 0 && rng.nextInt(2) === 0;
  return { voters, learners, votersOutgoing, learnersNext, autoLeave };
}

function sorted(c: ConfState): ConfState {
  const s = (a: number[]): number[] => a.slice().sort((x, y) => x - y);
  return {
    voters: s(c.voters),
    learners: s(c.learners),
    votersOutgoing: s(c.votersOutgoing),
    learnersNext: s(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

test.each([1, 2, 3, 4, 5, 6, 7, 8])('restore(cs) then confState() gives cs back, seed %i', (seed) => {
  const rng = new SeededRng(seed);
  for (let run = 0; run < 250; run++) {
    const c = randomConfState(rng);
    const lastIndex = rng.nextInt(100);
    const trk = new ProgressTracker(8, 1024);
    const res = restore(new Changer(trk, lastIndex), c);
    trk.applyConfig(res.config, res.progress);
    const ctx = `seed=${seed} run=${run} cs=${JSON.stringify(c)}`;
    expect(trk.confState(), ctx).toEqual(sorted(c));
    // Every member got a fresh, recently active Progress with the right learner flag.
    const members = new Set([...c.voters, ...c.votersOutgoing, ...c.learners, ...c.learnersNext]);
    expect([...trk.progress.keys()].sort((a, b) => a - b), ctx).toEqual([...members].sort((a, b) => a - b));
    trk.visit((id, pr) => {
      expect(pr.isLearner, ctx).toBe(c.learners.includes(id));
      expect(pr.match).toBe(0);
      expect(pr.next).toBe(Math.max(lastIndex, 1));
      expect(pr.recentActive).toBe(true);
      expect(pr.inflights.size).toBe(8);
      expect(pr.inflights.maxBytes).toBe(1024);
    });
    // Restoring what we read back is a fixed point.
    const again = restore(new Changer(new ProgressTracker(8, 1024), lastIndex), trk.confState());
    const trk2 = new ProgressTracker(8, 1024);
    trk2.applyConfig(again.config, again.progress);
    expect(trk2.confState()).toEqual(trk.confState());
  }
});
