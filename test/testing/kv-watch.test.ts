import { describe, expect, test } from 'vitest';
import { kvWatchRun, type KvWatchResult } from './sim/helpers/kv-watch.js';
import { sweepSeeds } from './sim/helpers/seed-sweep.js';

/**
 * The Jepsen-style KV-with-watches workload: raftkit/kv on 3 and 5 simulated members under
 * random faults (partitions, loss, duplication, reordering, delay, crashes and restarts,
 * pauses, skew, slow disks, members added, promoted and removed; leaders change), clients
 * writing puts, deletes and txns, and watch
 * streams on every member that resume after crashes and move between members. Every stream is
 * checked against the committed history for etcd's six watch guarantees (ordered, unique,
 * reliable, atomic, resumable, bookmarkable).
 *
 * KV_WATCH_SEEDS sets the seeds per configuration (default 30); RAFT_SEED replays one.
 * KV_WATCH_OPS sets the client writes per seed (default 150).
 */
const FILE = 'test/testing/kv-watch.test.ts';
const one = process.env.RAFT_SEED === undefined ? undefined : Number(process.env.RAFT_SEED);
const perConfig = Number(process.env.KV_WATCH_SEEDS ?? 30);
const ops = Number(process.env.KV_WATCH_OPS ?? 150);
const seeds = one !== undefined ? [one] : Array.from({ length: perConfig }, (_, i) => i + 1);

function failure(name: string, r: KvWatchResult): string {
  return [
    `${name}: seed ${r.seed} failed`,
    `replay: RAFT_SEED=${r.seed} npx vitest run ${FILE} -t ${JSON.stringify(name)}`,
    ...r.violations.map((v) => `${v.guarantee} (${v.stream}): ${v.detail}`),
    ...r.problems,
    'trace tail:',
    r.traceTail,
  ].join('\n');
}

describe('KV with watches under random faults', () => {
  for (const members of [3, 5] as const) {
    const name = `kv watches on ${members} members`;
    test(name, async () => {
      const { totals, ms } = await sweepSeeds(name, FILE, seeds, (seed) => kvWatchRun({ members, seed, ops }), (r, add) => {
        if (r.violations.length > 0 || r.problems.length > 0) expect.fail(failure(name, r));
        add(r.counts);
        add(r.watch);
        add(r.chaos);
        add({ crashes: r.stats.crashes, endRevision: r.endRevision });
      });
      // The faults and paths the guarantees were checked under actually happened.
      if (one === undefined) {
        expect(totals.crash ?? 0).toBeGreaterThan(0);
        expect(totals.crashResumes ?? 0).toBeGreaterThan(0);
        expect(totals.moves ?? 0).toBeGreaterThan(0);
        expect(totals.progress ?? 0).toBeGreaterThan(0);
        expect(totals.slowFallbacks ?? 0).toBeGreaterThan(0);
        expect(totals.restores ?? 0).toBeGreaterThan(0);
        expect(totals.ok ?? 0).toBeGreaterThan(seeds.length * ops * 0.3);
      }
      console.log(`${name}: ${seeds.length} seeds × ${ops} writes in ${ms} ms; ${JSON.stringify(totals)}`);
    }, 60_000 + seeds.length * 10_000);
  }
});
