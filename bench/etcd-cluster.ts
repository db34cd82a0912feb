/**
 * The etcd bench's clusters and what it reads from them: a 3-member cluster of `raftkit` processes
 * or of real `etcd` on loopback, its members' CPU from /proc, their `/metrics` (etcd's names, which
 * both systems export), and the lines the bench prints from them (`layers`, `inside`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { peakRssMiB } from './cluster-procs.js';
import { reapOnExit } from './reaper.js';
import { freePort } from '../examples/kv-cluster/driver.js';

/** CPU seconds in user space and in the kernel. */
export interface CpuSplit {
  user: number;
  system: number;
}

/** A running 3-member cluster of either system. */
export interface Cluster {
  /** Which system its members are. */
  kind: 'raftkit' | 'etcd';
  /** Each member's client URL. */
  hosts: string[];
  /** Each member's metrics URL. */
  metrics: string[];
  /** User + system CPU seconds the members have used so far (from /proc). */
  cpuSeconds(): number;
  /** The same, of member `i` alone. */
  memberCpuSeconds(i: number): number;
  /** The members' CPU seconds so far split into user and system time (from /proc). */
  cpuSplitSeconds(): CpuSplit;
  /** Each member's peak resident set size so far, MiB (/proc's VmHWM). */
  peakRssMiB(): number[];
  /** Kills the members (SIGTERM first when profiling) and removes their data. */
  stop(): Promise<void>;
}

/** Where a member's output goes: nowhere, or with `BENCH_MEMBER_LOG=<prefix>` to `<prefix>-<kind>-<name>.log` (stdout and stderr; e.g. node's `--trace-gc` given by `BENCH_NODE_ARGS`). */
function memberStdio(kind: string, name: string): 'ignore' | ['ignore', number, number] {
  const prefix = process.env['BENCH_MEMBER_LOG'];
  if (prefix === undefined) return 'ignore';
  const fd = openSync(`${prefix}-${kind}-${name}.log`, 'w');
  return ['ignore', fd, fd];
}

/**
 * Starts a 3-member cluster on loopback and waits until it takes a put.
 *
 * @param kind - `raftkit` (node running `member`, in `cwd`) or `etcd` (the `etcd` on the PATH).
 * @param member - for raftkit, node's arguments before the member's flags (the entry point last).
 * @param cwd - the raftkit members' working directory.
 * @param cpuProf - a directory for raftkit members' `--cpu-prof` profiles, or undefined for none.
 * @returns the running cluster; `stop()` kills its members and removes their data.
 */
export async function startCluster(kind: 'raftkit' | 'etcd', member: string[], cwd: string, cpuProf: string | undefined): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const names = ['b1', 'b2', 'b3'];
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort(), metrics: await freePort() })));
  const prof = cpuProf === undefined ? [] : ['--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${cpuProf}`];
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const procs: ChildProcess[] = names.map((n, i) => {
    const p = ports[i]!;
    const args = [
      '--name', n, '--data-dir', join(dir, n), '--listen-client-urls', `http://127.0.0.1:${p.client}`, '--advertise-client-urls', `http://127.0.0.1:${p.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-cluster', initial,
      '--initial-cluster-state', 'new', '--initial-cluster-token', `bench-${kind}`, '--log-level', 'error',
      '--listen-metrics-urls', `http://127.0.0.1:${p.metrics}`,
      // BENCH_LAYERS' gRPC handling times need the histogram, which both systems export with --metrics extensive only.
      ...(process.env['BENCH_LAYERS'] === '1' ? ['--metrics', 'extensive'] : []),
    ];
    return kind === 'etcd'
      ? spawn('etcd', args, { stdio: memberStdio(kind, n) })
      : spawn(process.execPath, [...prof, ...member, ...args], { cwd, stdio: memberStdio(kind, n) });
  });
  const unreap = procs.map((p) => reapOnExit(p, [dir]));
  const hosts = ports.map((p) => `http://127.0.0.1:${p.client}`);
  const client = new Etcd3({ hosts });
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      await client.put('bench-ready').value('1');
      break;
    } catch (e) {
      if (performance.now() > deadline) throw new Error(`${kind} cluster did not start`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  client.close();
  return {
    kind,
    hosts,
    metrics: ports.map((p) => `http://127.0.0.1:${p.metrics}/metrics`),
    cpuSeconds: () => procs.reduce((n, p) => n + procCpuSeconds(p.pid), 0),
    memberCpuSeconds: (i) => procCpuSeconds(procs[i]?.pid),
    cpuSplitSeconds: () => procs.reduce((sum, p) => {
      const one = procCpuSplit(p.pid);
      return { user: sum.user + one.user, system: sum.system + one.system };
    }, { user: 0, system: 0 }),
    peakRssMiB: () => procs.map((p) => peakRssMiB(p.pid)),
    async stop() {
      // SIGTERM first when profiling, so each member writes its profile on a graceful exit.
      if (cpuProf !== undefined) {
        await Promise.all(procs.map((p) => new Promise((r) => {
          p.once('exit', r);
          p.kill('SIGTERM');
        })));
      }
      for (const p of procs) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      for (const u of unreap) u();
    },
  };
}

/**
 * CPU seconds the whole machine has been busy, from the text of Linux's `/proc/stat`: the first
 * (`cpu`, all cores) line's user, nice, system, irq, softirq and steal ticks (USER_HZ = 100), that is
 * everything but idle and I/O wait. Steal counts: it is CPU the machine's processes did not get.
 *
 * @param procStat - the text of `/proc/stat`.
 * @returns the busy seconds over all cores since boot; NaN when there is no `cpu` line.
 */
export function busyCpuSeconds(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return NaN;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / 100;
}

/** {@link busyCpuSeconds} of this machine now (NaN where there is no /proc/stat). */
export function machineBusySeconds(): number {
  try {
    return busyCpuSeconds(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds of process `pid` (Linux /proc; 0 elsewhere). */
function procCpuSeconds(pid: number | undefined): number {
  const { user, system } = procCpuSplit(pid);
  return user + system;
}

/** A process's user and system CPU seconds so far (0 and 0 once it is gone). */
function procCpuSplit(pid: number | undefined): CpuSplit {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / 100, system: Number(f[12]) / 100 }; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return { user: 0, system: 0 };
  }
}

/** The WAL fsync histogram, whose buckets {@link scrape} keeps by bound, for {@link layers}' share of slow fsyncs. */
const FSYNC = 'etcd_disk_wal_fsync_duration_seconds';
/** raftkit's GC pauses, kept by kind, for {@link inside}'s full collections. */
const GC = 'nodejs_gc_duration_seconds';
/** Samples {@link scrape} also keeps per value of one label, as `<name>@<value>` (bounds as numbers). */
const KEPT: Record<string, string> = { [`${FSYNC}_bucket`]: 'le', [`${GC}_count`]: 'kind', [`${GC}_sum`]: 'kind' };

/** Sums of every sample of each metric name (labels dropped), from a Prometheus text page; besides, those of {@link KEPT} per label value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = await (await fetch(url)).text();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null || m[1] === undefined || m[3] === undefined) continue;
    const by = KEPT[m[1]];
    const v = by === undefined ? undefined : new RegExp(`[{,]${by}="([^"]*)"`).exec(m[2] ?? '')?.[1];
    if (v !== undefined) {
      const key = `${m[1]}@${by === 'le' ? String(Number(v)) : v}`;
      out.set(key, (out.get(key) ?? 0) + Number(m[3]));
    }
    if (m[1].endsWith('_bucket')) continue;
    out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[3]));
  }
  return out;
}

/** Per-layer means over a row on the leader: WAL fsync (and the share of fsyncs slower than each bucket bound from 1 to 10 ms), backend commit, gRPC handling (ms) and entries per fsync. */
export function layers(before: Map<string, number>, after: Map<string, number>): string {
  const d = (n: string): number => (after.get(n) ?? 0) - (before.get(n) ?? 0);
  const mean = (h: string): string => (d(`${h}_count`) === 0 ? '-' : `${((1000 * d(`${h}_sum`)) / d(`${h}_count`)).toFixed(2)}ms x${d(`${h}_count`)}`);
  const count = d(`${FSYNC}_count`);
  // The bounds from 1 to 10 ms that the page has (both systems' are etcd's: 1, 2, 4, 8 ms).
  const bounds = [...after.keys()].filter((k) => k.startsWith(`${FSYNC}_bucket@`)).map((k) => Number(k.slice(k.indexOf('@') + 1))).filter((b) => b >= 0.001 && b <= 0.01).sort((a, b) => a - b);
  const slower = (b: number): string => `>${String(b * 1000)}ms ${((100 * (count - d(`${FSYNC}_bucket@${String(b)}`))) / count).toFixed(1)}%`;
  return `fsync ${mean(FSYNC)}${count === 0 || bounds.length === 0 ? '' : ` (${bounds.map(slower).join(' ')})`}, backend commit ${mean('etcd_disk_backend_commit_duration_seconds')}, ` +
    `grpc ${mean('grpc_server_handling_seconds')}, committed ${d('etcd_server_proposals_committed_total')}`;
}

/**
 * What happened inside a row, from each member's `/metrics` before and after it (etcd's names, which
 * both systems export, and raftkit's own where etcd has none): the applied index range, Raft snapshots
 * stored (etcd's snapshot save histogram) and their time, snapshots in flight at the row's start or end
 * and restored from the leader, leader changes, Raft log compactions, KV (MVCC) compactions and each
 * member's garbage collection time (`nodejs_gc_duration_seconds`, etcd's `go_gc_duration_seconds`; raftkit's full collections
 * apart). A row
 * that one of these hit is not comparable with one that none did.
 *
 * @param before - each member's metrics (sums by name, as `scrape` returns) at the row's start.
 * @param after - the same at its end, in the same member order.
 * @returns one line, e.g. `index 88000-99841, snapshots stored 2 (members 1,3; …), no leader change`.
 */
export function inside(before: Map<string, number>[], after: Map<string, number>[]): string {
  const d = (i: number, n: string): number => (after[i]?.get(n) ?? 0) - (before[i]?.get(n) ?? 0);
  const members = after.map((_, i) => i);
  const on = (pick: (i: number) => number): number[] => members.filter((i) => pick(i) > 0);
  const total = (n: string): number => members.reduce((t, i) => t + d(i, n), 0);
  const list = (ms: number[]): string => ms.map((i) => String(i + 1)).join(',');
  const save = 'etcd_debugging_snap_save_total_duration_seconds';
  const out: string[] = [];
  const applied = members.map((i) => [before[i]?.get('etcd_server_proposals_applied_total') ?? 0, after[i]?.get('etcd_server_proposals_applied_total') ?? 0] as const);
  const top = applied.reduce((a, b) => (b[1] > a[1] ? b : a));
  out.push(`index ${String(top[0])}-${String(top[1])}`);
  const saved = on((i) => d(i, `${save}_count`));
  out.push(saved.length === 0 ? 'no snapshot stored' : `snapshots stored ${String(total(`${save}_count`))} (members ${list(saved)}; ${total(`${save}_sum`).toFixed(2)} s, ` +
    `marshalling ${total('etcd_debugging_snap_save_marshalling_duration_seconds_sum').toFixed(2)} s)`);
  const inFlight = (ms: Map<string, number>[]): number[] => members.filter((i) => (ms[i]?.get('raft_snapshot_save_in_progress') ?? 0) > 0);
  if (inFlight(before).length > 0) out.push(`a snapshot in flight at the start on ${list(inFlight(before))}`);
  if (inFlight(after).length > 0) out.push(`a snapshot in flight at the end on ${list(inFlight(after))}`);
  // raftkit counts created + restored snapshots in raft_snapshot_total; etcd times a received database.
  const restored = on((i) => d(i, 'raft_snapshot_total') - d(i, `${save}_count`) + d(i, 'etcd_snap_db_save_total_duration_seconds_count'));
  if (restored.length > 0) out.push(`snapshot restored on ${list(restored)}`);
  const leaderChanges = Math.max(...members.map((i) => d(i, 'etcd_server_leader_changes_seen_total')));
  out.push(leaderChanges === 0 ? 'no leader change' : `leader changes ${String(leaderChanges)}`);
  const logCompactions = total('raft_log_compactions_total');
  if (logCompactions > 0) out.push(`log compactions ${String(logCompactions)}`);
  const kvCompactions = total('etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count');
  if (kvCompactions > 0) out.push(`KV compactions ${String(kvCompactions)}`);
  // Garbage collection pauses, the three members together: raftkit's nodejs_gc_duration_seconds, etcd's go_gc_duration_seconds.
  const gc = members.map((i) => d(i, `${GC}_sum`) + d(i, 'go_gc_duration_seconds_sum'));
  // raftkit's full collections (V8's mark-compact) apart: one can move a row's p99 by itself.
  const full = members.map((i) => d(i, `${GC}_count@major`));
  if (gc.some((s) => s > 0)) out.push(`GC ${gc.map((s) => s.toFixed(3)).join('+')} s` + (full.some((n) => n > 0) ?
    ` (full collections ${full.join('+')}, ${members.map((i) => d(i, `${GC}_sum@major`).toFixed(3)).join('+')} s)` : ''));
  return out.join(', ');
}

/**
 * The index of the member the watch row's watcher connects to: the first member (in start order)
 * of `role`, as each member's `/metrics` says (`etcd_server_is_leader`, which both
 * systems export). A watcher on the leader and one on a follower cost different members different
 * work, so both systems get the same role, instead of the member the client would pick at random.
 */
export async function watcherMember(cluster: Cluster, role: 'leader' | 'follower'): Promise<number> {
  const leads = await Promise.all(cluster.metrics.map(async (url) => (await scrape(url)).get('etcd_server_is_leader') === 1));
  const i = leads.indexOf(role === 'leader');
  if (leads.filter(Boolean).length !== 1 || i < 0) throw new Error(`no ${role} to place the watcher on (is_leader: ${leads.join(', ')})`);
  return i;
}

/** The client URL of the member that leads (each member's Status names the leader). */
export async function leaderHost(hosts: string[]): Promise<string> {
  for (const h of hosts) {
    const c = new Etcd3({ hosts: h });
    try {
      const s = await c.maintenance.status();
      if (s.leader === s.header.member_id) return h;
    } finally {
      c.close();
    }
  }
  throw new Error('no member says it leads');
}
