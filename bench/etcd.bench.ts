/**
 * etcd API benchmark: the same client (the `etcd3` npm client) against a 3-member cluster of
 * `raftkit` processes and a 3-member real etcd (`etcd` on the PATH; skipped with a note when
 * absent), on loopback in one run: puts with 1 and 64 in flight, linearizable and serializable
 * ranges, and watch events per second. Prints ops/s and p99 latency per row and the ratio
 * raftkit / etcd. Run with `npm run bench -- etcd`.
 *
 * Environment: `BENCH_CELL_MS` (per row, default 3000), `BENCH_SYSTEMS` (default `raftkit,etcd`),
 * `BENCH_ROWS` (`;`-separated substrings of row names to run, default all), `BENCH_CPU_PROF=<dir>`
 * (raftkit members write `--cpu-prof` profiles there, one per process, on SIGTERM), `BENCH_LAYERS=1`
 * (also print, per row, the leader's mean WAL fsync, backend commit and gRPC handling times from
 * its `/metrics`, for both systems), `BENCH_LEADER_ONLY=1` (a diagnostic: the client talks to the leader only,
 * instead of spreading requests over the three members, which makes followers forward writes),
 * `BENCH_WARMUP_MS` (run each row unmeasured for this long first, default 5000, long enough for the
 * members' JIT to settle: at 1000 raftkit's put rows measured members still compiling; 0 = none: the client
 * process and the members start cold, and the raftkit rows run first, so without it raftkit's rows
 * also pay the client's JIT warm-up). Each row also prints the bench
 * process's own CPU per operation (the client's), next to the members'. `BENCH_CLUSTER_WARMUP_MS`
 * (default 15000; 0 = none): an unmeasured mixed load once per cluster before the first row.
 *
 * The raftkit members run as users run `npx raftkit`: the built `dist/cli.js` (the bench first runs
 * `npm run build` when dist/ is missing or older than src/). `BENCH_MEMBERS=src` runs them from the
 * sources under tsx instead, so that `BENCH_CPU_PROF` profiles name source files rather than tsup's
 * chunks (tsx's transform wraps each named closure in `__name`, which costs the members some CPU).
 * `BENCH_NODE_ARGS` (space-separated) gives the members' node extra options (e.g. their own
 * `--max-semi-space-size`, which the command then keeps instead of its own young generation).
 *
 * The watch row's watcher has its own client, connected to one follower of each cluster (the first
 * member whose `/metrics` says `etcd_server_is_leader 0`), so that both systems deliver its events
 * from the same role; `BENCH_WATCHER=leader` puts it on the leader instead. Its 64 writers use the
 * shared client (every member), as the other rows do. The row's line says where the watcher was,
 * and its member's CPU per event next to the other follower's (their difference is what delivering
 * the events costs; the row's `cpu` is the three members' together).
 *
 * Each row also prints, per system, what happened inside it from the members' `/metrics` (etcd's
 * names, which both export): Raft snapshots stored or in flight, snapshots restored, leader changes,
 * log and KV compactions, GC time per member, and the applied index range. One run writes about 100,000 entries, so the
 * snapshot at `--snapshot-count` (etcd's default 100,000 in both) lands in one of the last rows.
 * Members inherit the bench's environment, so `ETCD_SNAPSHOT_COUNT=<n>` (or any other `ETCD_*`
 * flag variable) sets a flag for both systems' members.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { builtCli } from './built-cli.js';
import { peakRssMiB } from './cluster-procs.js';
import { percentile } from './util.js';
import { freePort } from '../examples/kv-cluster/driver.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION_MS = Number(process.env['BENCH_CELL_MS'] ?? 3000);
const SYSTEMS = (process.env['BENCH_SYSTEMS'] ?? 'raftkit,etcd').split(',');
const ROWS = process.env['BENCH_ROWS']?.split(';');
const CPU_PROF = process.env['BENCH_CPU_PROF'];
const LEADER_ONLY = process.env['BENCH_LEADER_ONLY'] === '1';
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 5000);
const CLUSTER_WARMUP_MS = Number(process.env['BENCH_CLUSTER_WARMUP_MS'] ?? 15000);
const MEMBERS = process.env['BENCH_MEMBERS'] ?? 'dist';
if (MEMBERS !== 'dist' && MEMBERS !== 'src') throw new Error(`BENCH_MEMBERS must be dist or src, not ${MEMBERS}`);

/** How a raftkit member starts: node's arguments before the member's flags (`BENCH_NODE_ARGS` first). */
function memberCommand(): string[] {
  const main = MEMBERS === 'src' ? join(root, 'src/etcd/cli/main.ts') : builtCli(root, (line) => console.log(line));
  const node = process.env['BENCH_NODE_ARGS']?.split(' ').filter((a) => a !== '') ?? [];
  return MEMBERS === 'src' ? [...node, '--import', 'tsx', main] : [...node, main];
}

const WATCHER_ROLE = process.env['BENCH_WATCHER'] === 'leader' ? 'leader' : 'follower';

interface Cluster {
  hosts: string[];
  /** Each member's metrics URL. */
  metrics: string[];
  /** User + system CPU seconds the members have used so far (from /proc). */
  cpuSeconds(): number;
  /** The same, of member `i` alone. */
  memberCpuSeconds(i: number): number;
  /** Each member's peak resident set size so far, MiB (/proc's VmHWM). */
  peakRssMiB(): number[];
  stop(): Promise<void>;
}

async function startCluster(kind: 'raftkit' | 'etcd', member: string[]): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const names = ['b1', 'b2', 'b3'];
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort(), metrics: await freePort() })));
  const prof = CPU_PROF === undefined ? [] : ['--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${CPU_PROF}`];
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const procs: ChildProcess[] = names.map((n, i) => {
    const p = ports[i]!;
    const args = [
      '--name', n, '--data-dir', join(dir, n), '--listen-client-urls', `http://127.0.0.1:${p.client}`, '--advertise-client-urls', `http://127.0.0.1:${p.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-cluster', initial,
      '--initial-cluster-state', 'new', '--initial-cluster-token', `bench-${kind}`, '--log-level', 'error',
      '--listen-metrics-urls', `http://127.0.0.1:${p.metrics}`,
    ];
    return kind === 'etcd'
      ? spawn('etcd', args, { stdio: 'ignore' })
      : spawn(process.execPath, [...prof, ...member, ...args], { cwd: root, stdio: 'ignore' });
  });
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
    hosts,
    metrics: ports.map((p) => `http://127.0.0.1:${p.metrics}/metrics`),
    cpuSeconds: () => procs.reduce((n, p) => n + procCpuSeconds(p.pid), 0),
    memberCpuSeconds: (i) => procCpuSeconds(procs[i]?.pid),
    peakRssMiB: () => procs.map((p) => peakRssMiB(p.pid)),
    async stop() {
      // SIGTERM first when profiling, so each member writes its profile on a graceful exit.
      if (CPU_PROF !== undefined) {
        await Promise.all(procs.map((p) => new Promise((r) => {
          p.once('exit', r);
          p.kill('SIGTERM');
        })));
      }
      for (const p of procs) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** User + system CPU seconds of process `pid` (Linux /proc; 0 elsewhere). */
function procCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

interface Row { opsPerSec: number; p99Ms: number; layers?: string; cpuMsPerOp?: number; clientCpuMsPerOp?: number; peerMsgsPerOp?: number; watcher?: string; inside?: string }

/** Sums of every sample of each metric name (labels dropped), from a Prometheus text page. */
async function scrape(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = await (await fetch(url)).text();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null || m[1] === undefined || m[3] === undefined) continue;
    if (m[1].endsWith('_bucket')) continue;
    out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[3]));
  }
  return out;
}

/** Per-layer means over a row on the leader: WAL fsync, backend commit, gRPC handling (ms) and entries per fsync. */
function layers(before: Map<string, number>, after: Map<string, number>): string {
  const d = (n: string): number => (after.get(n) ?? 0) - (before.get(n) ?? 0);
  const mean = (h: string): string => (d(`${h}_count`) === 0 ? '-' : `${((1000 * d(`${h}_sum`)) / d(`${h}_count`)).toFixed(2)}ms x${d(`${h}_count`)}`);
  return `fsync ${mean('etcd_disk_wal_fsync_duration_seconds')}, backend commit ${mean('etcd_disk_backend_commit_duration_seconds')}, ` +
    `grpc ${mean('grpc_server_handling_seconds')}, committed ${d('etcd_server_proposals_committed_total')}`;
}

/**
 * What happened inside a row, from each member's `/metrics` before and after it (etcd's names, which
 * both systems export, and raftkit's own where etcd has none): the applied index range, Raft snapshots
 * stored (etcd's snapshot save histogram) and their time, snapshots in flight at the row's start or end
 * and restored from the leader, leader changes, Raft log compactions, KV (MVCC) compactions and each
 * member's garbage collection time (`nodejs_gc_duration_seconds`, etcd's `go_gc_duration_seconds`). A row
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
  const gc = members.map((i) => d(i, 'nodejs_gc_duration_seconds_sum') + d(i, 'go_gc_duration_seconds_sum'));
  if (gc.some((s) => s > 0)) out.push(`GC ${gc.map((s) => s.toFixed(3)).join('+')} s`);
  return out.join(', ');
}

/** Runs `op` with `inFlight` concurrent loops for DURATION_MS; ops/s and p99 latency. */
async function load(inFlight: number, op: (i: number) => Promise<unknown>, ms = DURATION_MS): Promise<Row> {
  const lat: number[] = [];
  const end = performance.now() + ms;
  let n = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op(n++);
      lat.push(performance.now() - t);
    }
  }));
  return { opsPerSec: lat.length / (ms / 1000), p99Ms: percentile(lat, 99) };
}

/**
 * The index of the member the watch row's watcher connects to: the first member (in start order)
 * of role `WATCHER_ROLE`, as each member's `/metrics` says (`etcd_server_is_leader`, which both
 * systems export). A watcher on the leader and one on a follower cost different members different
 * work, so both systems get the same role, instead of the member the client would pick at random.
 */
async function watcherMember(cluster: Cluster): Promise<number> {
  const leads = await Promise.all(cluster.metrics.map(async (url) => (await scrape(url)).get('etcd_server_is_leader') === 1));
  const i = leads.indexOf(WATCHER_ROLE === 'leader');
  if (leads.filter(Boolean).length !== 1 || i < 0) throw new Error(`no ${WATCHER_ROLE} to place the watcher on (is_leader: ${leads.join(', ')})`);
  return i;
}

/**
 * Watch events per second: one watcher on `bw/`, its own client connected to the member of role
 * `WATCHER_ROLE` only (see {@link watcherMember}), while 64 writers put through `client` (every
 * member). The row's `watcher` says where it was, and whether that member kept its role.
 */
async function watchRate(client: Etcd3, cluster: Cluster, ms = DURATION_MS): Promise<Row> {
  const at = await watcherMember(cluster);
  const watcherClient = new Etcd3({ hosts: cluster.hosts[at]! });
  try {
    const w = await watcherClient.watch().prefix('bw/').create();
    let events = 0;
    w.on('put', () => events++);
    // The watcher's member and another member of the same role (none when the watcher is on the leader).
    const twin = WATCHER_ROLE === 'follower' ? (await Promise.all(cluster.metrics.map(async (url) => (await scrape(url)).get('etcd_server_is_leader') === 1))).findIndex((l, i) => !l && i !== at) : -1;
    const cpu0 = [cluster.memberCpuSeconds(at), twin < 0 ? 0 : cluster.memberCpuSeconds(twin)];
    const t0 = performance.now();
    const r = await load(64, (i) => client.put(`bw/${i % 100}`).value('x').exec(), ms);
    await new Promise((res) => setTimeout(res, 200));
    await w.cancel();
    const opsPerSec = events / ((performance.now() - t0) / 1000);
    const perEvent = (i: number, c0: number): string => (((cluster.memberCpuSeconds(i) - c0) * 1000) / Math.max(1, events)).toFixed(3);
    const cpu = `its CPU ${perEvent(at, cpu0[0]!)} ms/event` + (twin < 0 ? '' : ` (the other follower's ${perEvent(twin, cpu0[1]!)})`);
    const kept = (await watcherMember(cluster).catch(() => -1)) === at;
    return { opsPerSec, p99Ms: r.p99Ms, watcher: `member ${String(at + 1)}, a ${WATCHER_ROLE}${kept ? '' : ' (role changed during the row)'}; ${cpu}` };
  } finally {
    watcherClient.close();
  }
}

/** The client URL of the member that leads (each member's Status names the leader). */
async function leaderHost(hosts: string[]): Promise<string> {
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

/** Measures every row on `cluster`, then prints its members' peak RSS. */
async function measureAll(kind: string, cluster: Cluster): Promise<Record<string, Row>> {
  const rows = await measure(cluster);
  console.log(`  ${kind} members' peak RSS: ${cluster.peakRssMiB().map((m) => m.toFixed(0)).join('/')} MiB`);
  return rows;
}

async function measure(cluster: Cluster): Promise<Record<string, Row>> {
  const client = new Etcd3({ hosts: LEADER_ONLY ? await leaderHost(cluster.hosts) : cluster.hosts });
  const value = 'v'.repeat(256);
  const out: Record<string, Row> = {};
  const rows: [string, (ms?: number) => Promise<Row>][] = [
    ['put, 1 in flight', (ms) => load(1, (i) => client.put(`b/${i % 1000}`).value(value).exec(), ms)],
    ['put, 64 in flight', (ms) => load(64, (i) => client.put(`b/${i % 1000}`).value(value).exec(), ms)],
    ['range linearizable, 16 in flight', (ms) => load(16, (i) => client.kv.range({ key: Buffer.from(`b/${i % 1000}`) }), ms)],
    ['range serializable, 16 in flight', (ms) => load(16, (i) => client.kv.range({ key: Buffer.from(`b/${i % 1000}`), serializable: true }), ms)],
    ['watch events/s (64 writers)', (ms) => watchRate(client, cluster, ms)],
  ];
  // Unmeasured, once per cluster: puts at 64 in flight and linearizable ranges, so that the members'
  // JIT has settled before the first row (a fresh Node member doubles its 1-in-flight put rate over its
  // first 20 s; a server in production runs warm). etcd's members get the same load.
  for (const end = performance.now() + CLUSTER_WARMUP_MS; performance.now() < end;) {
    await rows[1]![1](1000);
    await rows[2]![1](500);
  }
  for (const [name, row] of rows) {
    if (ROWS !== undefined && !ROWS.some((r) => name.includes(r))) continue;
    // Unmeasured: warms the JIT of the client and of the members (the raftkit rows run first).
    if (WARMUP_MS > 0) await row(WARMUP_MS);
    const before = await Promise.all(cluster.metrics.map(scrape));
    const cpu0 = cluster.cpuSeconds();
    const client0 = process.cpuUsage();
    const r = await row();
    const clientCpu = process.cpuUsage(client0);
    const after = await Promise.all(cluster.metrics.map(scrape));
    const leader = after.findIndex((m) => m.get('etcd_server_is_leader') === 1);
    if (leader >= 0) r.layers = layers(before[leader]!, after[leader]!);
    r.inside = inside(before, after);
    // CPU the three members spent per operation: robust to other load on the machine.
    const ops = r.opsPerSec * (DURATION_MS / 1000);
    r.cpuMsPerOp = (cluster.cpuSeconds() - cpu0) * 1000 / ops;
    r.clientCpuMsPerOp = (clientCpu.user + clientCpu.system) / 1000 / ops;
    // Raft messages the members sent each other per operation (raftkit's own metric; etcd has none).
    const sent = (ms: Map<string, number>[]): number => ms.reduce((n, m) => n + (m.get('raft_transport_messages_sent_total') ?? 0), 0);
    if (sent(after) > 0) r.peerMsgsPerOp = (sent(after) - sent(before)) / ops;
    out[name] = r;
  }
  client.close();
  return out;
}

/** What this benchmark compares, for `npm run bench`'s header. */
export const about = 'the etcd3 npm client against 3 raftkit processes and 3 real etcd members on loopback: puts (1 and 64 in flight), linearizable and serializable ranges, watch events/s (the watcher on a follower in both clusters); target: raftkit at least as fast as etcd on every row, p99 no worse';

/** Runs the benchmark and prints a table. */
export async function run(): Promise<void> {
  const member = SYSTEMS.includes('raftkit') ? memberCommand() : [];
  console.log(`etcd API: etcd3 npm client, 3 members each, loopback, ${DURATION_MS / 1000} s per row; raftkit members: ${MEMBERS === 'src' ? 'src/ under tsx' : 'dist/cli.js'}` +
    ` (node options: ${member.filter((a) => a.startsWith('--') && a !== '--import').join(' ') || 'none'})`);
  let raftkit: Record<string, Row> = {};
  if (SYSTEMS.includes('raftkit')) {
    const rk = await startCluster('raftkit', member);
    try {
      raftkit = await measureAll('raftkit', rk);
    } finally {
      await rk.stop();
    }
  }
  let etcd: Record<string, Row> | undefined;
  if (!SYSTEMS.includes('etcd')) {
    // not asked for
  } else if (spawnSync('etcd', ['--version']).status === 0) {
    const ec = await startCluster('etcd', []);
    try {
      etcd = await measureAll('etcd', ec);
    } finally {
      await ec.stop();
    }
  } else {
    console.log('(etcd not installed: raftkit rows only)');
  }
  if (!SYSTEMS.includes('raftkit') && etcd !== undefined) {
    for (const [row, e] of Object.entries(etcd)) console.log(`${row.padEnd(36)} etcd ${e.opsPerSec.toFixed(0).padStart(7)}/s p99 ${e.p99Ms.toFixed(1).padStart(6)} ms cpu ${(e.cpuMsPerOp ?? 0).toFixed(2)} ms/op`);
  }
  if (process.env['BENCH_LAYERS'] === '1') {
    for (const [sys, rows] of [['raftkit', raftkit], ['etcd', etcd ?? {}]] as const) {
      for (const [row, r] of Object.entries(rows)) console.log(`  ${sys} leader, ${row}: ${r.layers ?? '-'}`);
    }
  }
  for (const [sys, rows] of [['raftkit', raftkit], ['etcd', etcd ?? {}]] as const) {
    for (const [row, r] of Object.entries(rows)) if (r.watcher !== undefined) console.log(`  ${sys} ${row}: watcher on ${r.watcher}`);
  }
  for (const [row] of Object.entries({ ...raftkit, ...etcd })) {
    for (const [sys, rows] of [['raftkit', raftkit], ['etcd', etcd ?? {}]] as const) {
      const r = rows[row];
      if (r?.inside !== undefined) console.log(`  ${sys} ${row}: inside the row: ${r.inside}`);
    }
  }
  for (const [row, r] of Object.entries(raftkit)) {
    const e = etcd?.[row];
    const cpu = (x: Row | undefined): string => (x?.cpuMsPerOp === undefined ? '' : ` cpu ${x.cpuMsPerOp.toFixed(2)} ms/op (client ${(x.clientCpuMsPerOp ?? 0).toFixed(2)})`) +
      (x?.peerMsgsPerOp === undefined ? '' : ` msgs ${x.peerMsgsPerOp.toFixed(2)}/op`);
    const ratio = e === undefined ? '' : `  ratio ${(r.opsPerSec / e.opsPerSec).toFixed(2)}x, p99 ${(r.p99Ms / e.p99Ms).toFixed(2)}x`;
    console.log(`${row.padEnd(36)} raftkit ${r.opsPerSec.toFixed(0).padStart(7)}/s p99 ${r.p99Ms.toFixed(1).padStart(6)} ms${cpu(r)}` +
      (e === undefined ? '' : ` | etcd ${e.opsPerSec.toFixed(0).padStart(7)}/s p99 ${e.p99Ms.toFixed(1).padStart(6)} ms${cpu(e)}`) + ratio);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
