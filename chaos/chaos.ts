/**
 * One chaos run: start the member processes, run the workload and the nemesis for the
 * configured duration, heal the cluster, read every key, check the history for
 * linearizability and lost acknowledged writes, save it as JSON and summarise.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HistoryRecorder, checkLinearizable, historyToJSON, kvModel, type CheckResult, type KvInput, type KvOutput } from '../src/testing/index.js';
import { until } from '../examples/kv-cluster/driver.js';
import { ChaosCluster } from './cluster.js';
import { Nemesis, type Failover } from './nemesis.js';
import type { ChaosOptions, FaultKind } from './options.js';
import { findLostWrites, type LostWrite } from './lost-writes.js';
import { ChaosWatches, type WatchReport } from './watches.js';
import { Workload, type WorkloadStats } from './workload.js';

/** Everything a chaos run measured. */
export interface ChaosReport {
  /** The options the run used. */
  options: ChaosOptions;
  /** Operations of the workload (final reads excluded). */
  workload: WorkloadStats;
  /** Operations recorded in total, final reads included. */
  operations: number;
  /** Nemesis actions by kind. */
  faults: Record<FaultKind, number>;
  /** Signals sent. */
  signals: { sigkill: number; sigstop: number };
  /** Frames the hostile-peer nemesis sent. */
  hostileFrames: { messages: number; snapshots: number; closing: number };
  /** Peer messages the members' replicas refused, by code (counted since each member's last start). */
  refused: Record<string, number>;
  /** Nemesis actions skipped because f members were already faulty. */
  skipped: number;
  /** The most members faulty at once, and the bound f. */
  maxFaulty: number;
  /** The bound on faulty members, ⌊(n−1)/2⌋. */
  maxDown: number;
  /** Faults that hit the leader, with election times. */
  failovers: Failover[];
  /** The checker's verdict. */
  check: CheckResult<KvInput, KvOutput>;
  /** Milliseconds the check took. */
  checkMs: number;
  /** Acknowledged writes the final state does not reflect. */
  lost: LostWrite[];
  /** Final reads that failed and were retried. */
  finalReadFailures: number;
  /** The final value of every key, as read after healing. */
  finalValues: Record<string, string | null>;
  /** Where the history was saved. */
  out: string;
  /** The KV watch streams (one per member, resumed after kills), checked for etcd's watch guarantees. */
  watch: WatchReport;
  /** Milliseconds from start to the end of the check. */
  totalMs: number;
  /** True when linearizable, no acknowledged write was lost and every watch guarantee held. */
  passed: boolean;
}

/** Runs one chaos test; `log` receives progress lines. */
export async function runChaos(o: ChaosOptions, log: (line: string) => void = console.log): Promise<ChaosReport> {
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const say = (line: string): void => log(`[${(now() / 1000).toFixed(2).padStart(7)} s] ${line}`);
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-chaos-'));
  const recorder = new HistoryRecorder<KvInput, KvOutput>({ now });
  let cluster: ChaosCluster | undefined;
  let watches: ChaosWatches | undefined;
  try {
    cluster = await ChaosCluster.start(o.members, dir);
    const c = cluster;
    say(`started ${o.members} members (classic-level under ${dir}, TCP on loopback)`);
    await until(() => c.leaderView()?.leader, 20_000, 'a first leader');
    watches = new ChaosWatches(c);
    watches.start();
    const workload = new Workload(o, c, recorder);
    const nemesis = new Nemesis(o, c, say, now);
    say(
      `workload: ${o.clients} clients, ${o.keys} keys, seed ${o.seed}, for ${(o.durationMs / 1000).toFixed(0)} s; ` +
        `nemesis: ${o.faults.join(', ')} every ~${o.intervalMs} ms, never more than ${nemesis.maxDown} of ${o.members} members down at once (a majority stays up so the cluster can make progress)`,
    );
    const endAt = now() + o.durationMs;
    const clients = workload.run();
    const stopTimer = setTimeout(() => workload.stop(), o.durationMs);
    await nemesis.run(endAt);
    await clients;
    clearTimeout(stopTimer);
    const w = structuredClone(workload.stats);
    say(`workload done: ${w.outcomes.ok + w.outcomes.fail + w.outcomes.unknown} operations (${w.outcomes.ok} ok, ${w.outcomes.fail} fail, ${w.outcomes.unknown} unknown)`);

    const finalValues = await finalReads(c, workload, o.keys, say);
    const finalReadFailures = workload.stats.outcomes.fail - w.outcomes.fail;
    const refused = await refusedByCode(c);
    const watch = await watches.check();
    say(`watches: ${watch.streams} streams, ${watch.events} events, ${watch.progress} progress notifications, ${watch.resumes} resumes (${watch.moves} on another member), checked up to revision ${watch.endRevision}: ${watch.violations.length === 0 ? 'every guarantee held' : `${watch.violations.length} violations: ${JSON.stringify(watch.violations.slice(0, 4))}`}`);
    const checkStart = performance.now();
    const history = recorder.history();
    const check = checkLinearizable(history, kvModel(), { timeLimit: o.checkTimeMs });
    const checkMs = Math.round(performance.now() - checkStart);
    const lost = findLostWrites(history, finalValues);
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(historyToJSON(history)));
    say(`history of ${history.length} operations saved to ${o.out}`);
    return {
      options: o,
      workload: w,
      operations: history.length,
      faults: nemesis.counts,
      signals: nemesis.signals,
      hostileFrames: nemesis.hostileFrames,
      refused,
      skipped: nemesis.skipped,
      maxFaulty: nemesis.maxFaulty,
      maxDown: nemesis.maxDown,
      failovers: nemesis.failovers,
      check,
      checkMs,
      lost,
      finalReadFailures,
      finalValues,
      out: o.out,
      watch,
      totalMs: Math.round(now()),
      passed: check.ok === true && lost.length === 0 && watch.violations.length === 0,
    };
  } finally {
    watches?.stop();
    await cluster?.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Heals the cluster (SIGCONT, restart the dead), waits until every member agrees on a leader
 * and has applied the same index, then reads every key linearizably through every member,
 * recording the reads in the history. Returns each key's value as read through the leader.
 */
async function finalReads(c: ChaosCluster, workload: Workload, keys: number, say: (line: string) => void): Promise<Record<string, string | null>> {
  await c.heal();
  say('healed: every member resumed or restarted; waiting for a leader and for every member to catch up');
  type Status = { id: number; leader: number; term: number; role: number; applied: number; commit: number };
  let last: (Status | undefined)[] = [];
  const settled = await until(
    async () => {
      last = await Promise.all(
        c.running().map(async (m) => {
          const a = await m.request({ op: 'status', detail: true });
          return a.ok ? (a.result as Status) : undefined;
        }),
      );
      const first = last[0];
      if (last.length !== c.ids.length || first === undefined || first.leader === 0) return undefined;
      return last.every((s) => s !== undefined && s.leader === first.leader && s.applied === first.applied && s.commit === first.commit) ? first : undefined;
    },
    30_000,
    'the healed cluster to agree on a leader and an applied index',
  ).catch((err: unknown) => {
    const errors = c.running().map((m) => `member ${m.id}: ${JSON.stringify(m.errors.slice(-5))}`);
    throw new Error(`${String(err)}; last statuses: ${JSON.stringify(last)}; member errors: ${errors.join(', ')}`, { cause: err });
  });
  say(`settled: member ${settled.leader} leads, every member applied index ${settled.applied}`);
  const values: Record<string, string | null> = {};
  for (const m of c.running()) {
    for (let k = 0; k < keys; k++) {
      const key = `k${k}`;
      const outcome = await until(
        async () => {
          const out = await workload.issue(`final-m${m.id}`, m, { op: 'get', key });
          return out.kind === 'ok' && out.output.op === 'get' ? out.output : undefined;
        },
        20_000,
        `a final read of ${key} through member ${m.id}`,
      );
      if (m.id === settled.leader) values[key] = outcome.value;
    }
  }
  return values;
}

/** Sums the members' `raft_messages_refused_total` by code (each counts since its last start). */
async function refusedByCode(c: ChaosCluster): Promise<Record<string, number>> {
  const refused: Record<string, number> = {};
  for (const m of c.running()) {
    const a = await m.request({ op: 'status', detail: true });
    const metric = a.ok ? (a.result as { refused?: { values?: { value: number; labels?: { code?: string } }[] } | null }).refused : undefined;
    for (const v of metric?.values ?? []) refused[v.labels?.code ?? '?'] = (refused[v.labels?.code ?? '?'] ?? 0) + v.value;
  }
  return refused;
}
