import { describe, expect, test } from 'vitest';
import { RaftSim, SafetyViolation } from './raft-sim.js';

// RAFT_SEEDS=N runs N seeds per cluster size; RAFT_SEED=S replays one seed with a trace.
const seeds = Number(process.env['RAFT_SEEDS'] ?? 260);
const only = process.env['RAFT_SEED'] === undefined ? undefined : Number(process.env['RAFT_SEED']);

function runSeed(seed: number, nodes: number): RaftSim {
  const sim = new RaftSim({ seed, nodes, steps: 2000, trace: only !== undefined });
  try {
    sim.run();
  } catch (err) {
    const hint = `replay: RAFT_SEED=${seed} npx vitest run test/sim/safety.test.ts`;
    if (only !== undefined) console.log(sim.trace.slice(-120).join('\n'));
    const what = err instanceof SafetyViolation ? err.message : `seed ${seed}: ${String(err)}`;
    throw new Error(`${what}\n${hint}`, { cause: err });
  }
  return sim;
}

describe.each([3, 5])('randomized safety and liveness, %i nodes', (nodes) => {
  test(`no safety or liveness violation over ${only === undefined ? seeds : 1} seeds`, () => {
    const list = only === undefined ? Array.from({ length: seeds }, (_, i) => nodes * 100_000 + i + 1) : [only];
    const totals: Record<string, number> = {};
    for (const seed of list) {
      const sim = runSeed(seed, nodes);
      for (const [k, v] of Object.entries(sim.stats)) totals[k] = (totals[k] ?? 0) + v;
    }
    console.log(`${nodes} nodes, ${list.length} seeds:`, JSON.stringify(totals));
    // The faults and work really happened (a sim that does nothing proves nothing).
    expect(totals['leadersElected']).toBeGreaterThan(list.length);
    expect(totals['crashes']).toBeGreaterThan(0);
    expect(totals['leaderCrashes']).toBeGreaterThan(list.length);
    expect(totals['campaigns']).toBeGreaterThan(0);
    expect(totals['snapshots']).toBeGreaterThan(0);
    expect(totals['committed']).toBeGreaterThan(list.length * 10);
    // The transport reported snapshot outcomes and unreachable peers, and removed nodes were
    // stopped before the liveness check.
    expect(totals['snapReports']).toBeGreaterThan(0);
    expect(totals['unreachableReports']).toBeGreaterThan(0);
    if (only === undefined) expect(totals['retired']).toBeGreaterThan(0);
  });
});
