import { expect, test } from 'vitest';
import type { Rng } from '../../src/raft/rng.js';
import { newTestNode, type HarnessNode } from '../helpers/raft-harness.js';

/** The number of ticks between successive campaigns of a lone follower, `k` times. */
function timeouts(n: HarnessNode, k: number): number[] {
  const out: number[] = [];
  let term = n.node.status().term;
  let ticks = 0;
  while (out.length < k) {
    n.node.tick();
    ticks++;
    const t = n.node.status().term;
    if (t !== term) {
      out.push(ticks);
      ticks = 0;
      term = t;
    }
    if (ticks > 1000) throw new Error('no election');
  }
  return out;
}

test('the same seed gives the same election timeouts', () => {
  const a = timeouts(newTestNode(1, { config: { seed: 42 } }), 8);
  const b = timeouts(newTestNode(1, { config: { seed: 42 } }), 8);
  expect(a).toEqual(b);
});

test('seeds 1, 2 and 3 give different election timeouts', () => {
  const seqs = [1, 2, 3].map((seed) => timeouts(newTestNode(1, { config: { seed } }), 8).join(','));
  expect(new Set(seqs).size).toBe(3);
});

test('every timeout of a seeded node lies in [electionTick, 2 * electionTick)', () => {
  for (const et of [2, 5, 10, 25]) {
    for (const t of timeouts(newTestNode(1, { config: { seed: et, electionTick: et, heartbeatTick: 1 } }), 20)) {
      expect(t).toBeGreaterThanOrEqual(et);
      expect(t).toBeLessThan(2 * et);
    }
  }
});

test.each([
  { name: 'always 0', pick: (): number => 0, wtimeout: 10 },
  { name: 'always n - 1', pick: (n: number): number => n - 1, wtimeout: 19 },
])('an injected rng ($name) decides the timeout exactly', ({ pick, wtimeout }) => {
  const calls: number[] = [];
  const rng: Rng = {
    nextInt(n) {
      calls.push(n);
      return pick(n);
    },
  };
  expect(timeouts(newTestNode(1, { config: { rng, seed: 7 } }), 3)).toEqual([wtimeout, wtimeout, wtimeout]);
  expect(calls.every((n) => n === 10)).toBe(true);
});
