/** The human-readable summary of a chaos run. */
import type { ChaosReport } from './chaos.js';

function stats(values: readonly number[]): string {
  if (values.length === 0) return 'none observed';
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `n=${s.length}, min ${s[0]} ms, median ${at(0.5)} ms, max ${s[s.length - 1]} ms`;
}

/** Renders `r` as the lines printed at the end of `npm run chaos`. */
export function formatSummary(r: ChaosReport): string[] {
  const o = r.options;
  const w = r.workload;
  const total = w.outcomes.ok + w.outcomes.fail + w.outcomes.unknown;
  const secs = o.durationMs / 1000;
  const codes = Object.entries(w.codes)
    .sort(([, a], [, b]) => b - a)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const elected = r.failovers.flatMap((f) => (f.electedMs === undefined ? [] : [f.electedMs]));
  const survived = r.failovers.filter((f) => f.survived === true).length;
  const noElection = r.failovers.filter((f) => f.electedMs === undefined && f.survived !== true).length;
  const lines = [
    '',
    `chaos summary (seed ${o.seed}, ${o.members} members, ${o.clients} clients, ${o.keys} keys, ${secs.toFixed(0)} s)`,
    `  operations: ${total} (${Math.round(total / secs)}/s): ${w.outcomes.ok} ok, ${w.outcomes.fail} fail, ${w.outcomes.unknown} unknown` +
      `; by kind: ${Object.entries(w.byOp).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  errors: ${codes === '' ? 'none' : codes}`,
    `  faults: ${Object.entries(r.faults).map(([k, n]) => `${k} ${n}`).join(', ')} (SIGKILL ${r.signals.sigkill}, SIGSTOP ${r.signals.sigstop}; hostile frames ${r.hostileFrames.messages + r.hostileFrames.snapshots + r.hostileFrames.closing}); ` +
      `${r.skipped} skipped; at most ${r.maxFaulty} of ${o.members} members faulty at once (bound ${r.maxDown}, a minority)`,
    `  leader fail-overs: ${r.failovers.length} faults hit the leader; new leader elected after ${stats(elected)}${survived > 0 ? `; ${survived} healed before an election` : ''}${noElection > 0 ? `; ${noElection} with no new term within 15 s` : ''}`,
    `  peer messages refused (since each member's last start): ${Object.entries(r.refused).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `  final values: ${Object.entries(r.finalValues).map(([k, v]) => `${k}=${v ?? '(absent)'}`).join(', ')}`,
    `  history: ${r.operations} operations in ${r.out}`,
  ];
  const c = r.check;
  if (c.ok === true) lines.push(`  linearizable: yes (${c.partitions} keys, ${c.steps} search steps, ${r.checkMs} ms)`);
  else if (c.ok === false) lines.push(`  linearizable: NO (key ${c.partitionKey})`, c.explanation);
  else lines.push(`  linearizable: unknown (${c.reason} after ${c.partitionsChecked} keys, ${c.steps} steps, ${r.checkMs} ms); raise --check-time`);
  lines.push(r.lost.length === 0 ? '  acknowledged writes lost: none' : `  ACKNOWLEDGED WRITES LOST: ${r.lost.map((l) => `${l.key}: ${l.reason}, last acked ${l.lastAcked}, final ${l.final ?? '(absent)'}`).join('; ')}`);
  const wa = r.watch;
  lines.push(`  watches: ${wa.streams} streams (one per member, resumed ${wa.resumes} times after kills, ${wa.moves} on another member), ${wa.events} events, ${wa.progress} progress notifications, checked to revision ${wa.endRevision}`);
  lines.push(wa.violations.length === 0 ? '  watch guarantees (ordered, unique, reliable, atomic, resumable, bookmarkable): all held' : `  WATCH GUARANTEES BROKEN: ${wa.violations.map((v) => `${v.guarantee} (${v.stream}): ${v.detail}`).join('; ')}`);
  lines.push(`  total time ${(r.totalMs / 1000).toFixed(1)} s: ${r.passed ? 'PASS' : 'FAIL'}`);
  return lines;
}
