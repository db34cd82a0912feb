import { describe, expect, test } from 'vitest';
import { JointConfig, MajorityConfig, VoteResult } from '../../../src/raft/quorum/index.js';
import { SeededRng } from '../../../src/raft/rng.js';

// Property tests in the spirit of etcd's quorum/quick_test.go: compare the real code with
// a deliberately naive model over many seeded random inputs.

/** The largest index that at least a majority of `ids` acknowledged (naive: try every candidate). */
function naiveCommitted(ids: number[], acks: Map<number, number>): number {
  if (ids.length === 0) return Infinity;
  const q = Math.floor(ids.length / 2) + 1;
  let best = 0;
  for (const candidate of [0, ...acks.values()]) {
    const n = ids.filter((id) => (acks.get(id) ?? 0) >= candidate).length;
    if (n >= q && candidate > best) best = candidate;
  }
  return best;
}

function naiveVote(ids: number[], votes: Map<number, boolean>): VoteResult {
  if (ids.length === 0) return VoteResult.VoteWon;
  const q = Math.floor(ids.length / 2) + 1;
  const yes = ids.filter((id) => votes.get(id) === true).length;
  // Even if every voter that has not said no said yes, could the vote still be won?
  const possibleYes = ids.filter((id) => votes.get(id) !== false).length;
  if (yes >= q) return VoteResult.VoteWon;
  if (possibleYes < q) return VoteResult.VoteLost;
  return VoteResult.VotePending;
}

function randomIds(rng: SeededRng, maxLen: number, idSpace: number): number[] {
  const n = rng.nextInt(maxLen + 1);
  const s = new Set<number>();
  while (s.size < n) s.add(1 + rng.nextInt(idSpace));
  return [...s];
}

function randomAcks(rng: SeededRng, idSpace: number, maxIndex: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let id = 1; id <= idSpace; id++) {
    // About one in five voters has no known ack.
    if (rng.nextInt(5) !== 0) m.set(id, rng.nextInt(maxIndex + 1));
  }
  return m;
}

const SEEDS = [1, 2, 3, 42, 1234];
const RUNS_PER_SEED = 1000;

describe('quorum math agrees with a naive model', () => {
  test.each(SEEDS)('MajorityConfig.committedIndex, seed %i', (seed) => {
    const rng = new SeededRng(seed);
    const cfg = new MajorityConfig();
    for (let run = 0; run < RUNS_PER_SEED; run++) {
      // Large id spaces exercise the native-sort path too.
      const space = rng.nextInt(4) === 0 ? 40 : 9;
      const ids = randomIds(rng, space === 40 ? 30 : 9, space);
      const acks = randomAcks(rng, space, rng.nextInt(3) === 0 ? 3 : 1000);
      const got = new MajorityConfig(ids).committedIndex((id) => acks.get(id));
      expect(got, `seed=${seed} run=${run} ids=${JSON.stringify(ids)} acks=${JSON.stringify([...acks])}`).toBe(naiveCommitted(ids, acks));
      // The same, reusing one config whose ids change in place (scratch and cache reuse).
      cfg.ids.clear();
      for (const id of ids) cfg.ids.add(id);
      expect(cfg.committedIndex((id) => acks.get(id))).toBe(got);
    }
  });

  test.each(SEEDS)('JointConfig.committedIndex, seed %i', (seed) => {
    const rng = new SeededRng(seed);
    for (let run = 0; run < RUNS_PER_SEED; run++) {
      const inc = randomIds(rng, 7, 9);
      const out = randomIds(rng, 7, 9);
      const acks = randomAcks(rng, 9, 50);
      const j = new JointConfig(new MajorityConfig(inc), new MajorityConfig(out));
      const want = Math.min(naiveCommitted(inc, acks), naiveCommitted(out, acks));
      expect(j.committedIndex((id) => acks.get(id)), `seed=${seed} run=${run}`).toBe(want);
    }
  });

  test.each(SEEDS)('vote results, seed %i', (seed) => {
    const rng = new SeededRng(seed);
    for (let run = 0; run < RUNS_PER_SEED; run++) {
      const inc = randomIds(rng, 7, 9);
      const out = randomIds(rng, 7, 9);
      const votes = new Map<number, boolean>();
      for (let id = 1; id <= 9; id++) {
        const r = rng.nextInt(3);
        if (r !== 0) votes.set(id, r === 1);
      }
      const mi = naiveVote(inc, votes);
      const mo = naiveVote(out, votes);
      expect(new MajorityConfig(inc).voteResult(votes)).toBe(mi);
      let want: VoteResult = VoteResult.VotePending;
      if (mi === VoteResult.VoteWon && mo === VoteResult.VoteWon) want = VoteResult.VoteWon;
      else if (mi === VoteResult.VoteLost || mo === VoteResult.VoteLost) want = VoteResult.VoteLost;
      const j = new JointConfig(new MajorityConfig(inc), new MajorityConfig(out));
      expect(j.voteResult(votes), `seed=${seed} run=${run}`).toBe(want);
    }
  });
});
