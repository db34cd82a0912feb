import { describe, expect, test } from 'vitest';
import { jepsenRun, type JepsenKind, type JepsenResult } from './sim/helpers/jepsen.js';
import { sweepSeeds } from './sim/helpers/seed-sweep.js';

/**
 * The Jepsen-style suite: a register and a single-key KV store on 3 and 5 simulated members
 * under random fault schedules (partitions, one-way links, loss, duplication, reordering,
 * delay, crashes with lost unsynced writes, pauses, clock skew, slow disks, membership
 * changes). Every history must be linearizable and every acknowledged write present on every
 * member at the end.
 *
 * RAFT_SEEDS sets the seeds per configuration (default 50: 300 in all), from RAFT_SEED_FROM (default
 * 1, to sweep a new range), plus the regression seeds below; RAFT_SEED replays one. RAFT_OPS sets
 * the client operations per seed (default 300).
 */
const FILE = 'test/testing/jepsen.test.ts';
const one = process.env.RAFT_SEED === undefined ? undefined : Number(process.env.RAFT_SEED);
const perConfig = Number(process.env.RAFT_SEEDS ?? 50);
const ops = Number(process.env.RAFT_OPS ?? 300);
const from = Number(process.env.RAFT_SEED_FROM ?? 1);
const sweep = one !== undefined ? [one] : Array.from({ length: perConfig }, (_, i) => from + i);

/**
 * Seeds that once failed, beyond the default range, replayed with it in every run (unless one
 * seed is replayed): the histories that found a bug keep guarding its fix.
 * - register on 3, 524; KV on 3, 1184: a voter that missed a member's addition could not follow
 *   that member as leader (the lagging-voter rescue).
 * - KV on 3, 10440: a forwarded put reported as dropped had taken effect through a duplicate of
 *   its message (a forwarded request now waits for another copy when its entry is overwritten).
 */
const regressions: Record<string, number[]> = { 'register on 3 members': [524], 'register on 3 members, snapshots by reference': [524], 'kv on 3 members': [1184, 10440] };

const configs: { kind: JepsenKind; members: 3 | 5; byReference?: boolean }[] = [
  { kind: 'register', members: 3 },
  { kind: 'register', members: 5 },
  { kind: 'kv', members: 3 },
  { kind: 'kv', members: 5 },
  // Durable state machines snapshotted by reference (as the KV with `snapshotByReference`).
  { kind: 'register', members: 3, byReference: true },
  { kind: 'kv', members: 5, byReference: true },
];

function failure(name: string, r: JepsenResult): string {
  const lines = [`${name}: seed ${r.seed} failed`, `replay: RAFT_SEED=${r.seed} npx vitest run ${FILE} -t ${JSON.stringify(name)}`];
  if (r.check.ok === false) lines.push(r.check.explanation);
  else if (r.check.ok !== true) lines.push(`linearizability check gave no verdict: ${JSON.stringify(r.check)}`);
  if (r.missing.length > 0) lines.push(`acknowledged writes missing (member:op): ${r.missing.slice(0, 20).join(' ')}`);
  if (r.diverged.length > 0) lines.push(`members whose state differs from the leader's: ${r.diverged.join(',')}`);
  lines.push('trace tail:', r.traceTail);
  return lines.join('\n');
}

describe('Jepsen-style linearizability under random faults', () => {
  for (const c of configs) {
    const name = `${c.kind} on ${c.members} members${c.byReference === true ? ', snapshots by reference' : ''}`;
    const seeds = one !== undefined ? sweep : [...sweep, ...(regressions[name] ?? []).filter((x) => !sweep.includes(x))];
    test(name, async () => {
      const { totals, ms } = await sweepSeeds(name, FILE, seeds, (seed) => jepsenRun({ ...c, seed, ops }), (r, add) => {
        const ok = r.check.ok === true && r.missing.length === 0 && r.diverged.length === 0;
        if (!ok) expect.fail(failure(name, r));
        add(r.counts);
        add(r.chaos);
        add({ ...r.stats, network: 0 });
        add(r.stats.network);
        add({ duplicates: r.duplicates, rescues: r.rescues, virtualMs: r.virtualMs });
      });
      console.log(`${name}: ${seeds.length} seeds × ${ops} ops in ${ms} ms; ${JSON.stringify(totals)}`);
    }, 60_000 + seeds.length * 2_000);
  }
});
