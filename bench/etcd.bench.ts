/**
 * etcd API benchmark: the same client (the `etcd3` npm client) against a 3-member cluster of
 * `raftkit` processes and a 3-member real etcd (`etcd` on the PATH; skipped with a note when
 * absent), on loopback in one run: puts with 1 and 64 in flight, linearizable and serializable
 * ranges, and watch events per second. Prints ops/s and p99 latency per row and the ratio
 * raftkit / etcd, and per row and system the latency's p50/p90/p99/p99.9 (with raftkit's over
 * etcd's at each), which say whether a difference is the whole distribution or only its tail.
 * Run with `npm run bench -- etcd`.
 *
 * Method (`BENCH_METHOD`, default `interleaved`). Both clusters run for the whole bench and the load
 * takes turns between them in short slices: per row, `BENCH_SLICES` slices of `BENCH_SLICE_MS` each
 * (defaults 6 and 1000) per system, in pairs whose order flips (A B B A A B …, see `bench/slices.ts`), each
 * slice preceded by the same idle gap of `BENCH_SETTLE_MS` (default 250) in which neither cluster
 * has load. A system's ops/s is its total operations over its total measured time, its p99 is over
 * all its measured operations, and the row also prints the spread of the per-pair ratios (a pair is
 * two neighbouring slices, one of each system), so one run says how far its own ratio can be trusted:
 * if the pairs are independent, their min-max brackets the median pair ratio with probability
 * 1 - 2^(1-n) (97% for the default n = 6); a wide range says the run was disturbed, whatever its ratio.
 * Why: with each system measured for 3 s about a minute apart (`BENCH_METHOD=sequential`, the old
 * method, kept for comparison: all rows on raftkit's cluster, then all on etcd's, `BENCH_CELL_MS` per
 * row, default 3000; its ops/s now divide by the time until the row's last operation ended, and its watch
 * row counts events as a slice does, below), a row's ratio swung 0.79-1.38 between runs on a 2-core box, while the two
 * systems' ops/s in one run were barely correlated (r between -0.34 and +0.40 per row over 12 runs):
 * the machine's slow phases last seconds to tens of seconds and hit one system's rows, not the other's
 * (the rows of one system in one run did move together: mean r +0.33 for raftkit's, +0.53 for etcd's).
 * Slices of a second put both systems in the same phases; the flipped pairs cancel a drift across a pair of pairs.
 * Measured on a loaded 2-core box, 8 runs of each method alternated: the ratio's run-to-run variation
 * (cv) per row fell from 24-49% to 11-22%. A default run takes about 3 minutes.
 *
 * What could still favour one system, and how it is kept symmetric:
 * - Background work spilling into the other's slice (etcd's backend commit every 100 ms and bbolt's
 *   page writes, raftkit's LevelDB compaction, either's GC, a Raft snapshot at `--snapshot-count`):
 *   every slice follows the same idle gap, each system follows the other as often as it follows
 *   itself, and the CPU per operation counts each system's members' CPU over the whole measured
 *   span (its slices, the other's and the gaps), so work pushed out of a system's own slices is
 *   still charged to it. The `inside` line prints how much CPU each system's members used while the other was
 *   measured; a large figure there means its background work competed with the other's load.
 * - Other processes on the machine: each row's `inside` line says how many cores processes other than
 *   the members and the bench kept busy during its measured span (from /proc/stat), so a disturbed
 *   run shows itself; with both methods. The interleaved method also says how many during each system's
 *   own slices. On a quiet machine a difference there is work done outside the members' processes on
 *   their behalf (the kernel's loopback networking, writeback of their files, journal commits); on a
 *   shared one it mostly shows how much CPU each system's load left to the other processes.
 * - The watch row's watcher: each cluster has its own, on a member of the same role, for the whole row
 *   (idle while the other cluster is measured). A slice counts the events delivered from its start until
 *   every put acknowledged in it has been delivered (at most 1 s after the load stops) and divides
 *   by that time, so events late for a slice are not credited to the next one or to nobody.
 * - Warm-up: the cluster warm-up (`BENCH_CLUSTER_WARMUP_MS` per system) and each row's warm-up
 *   (`BENCH_WARMUP_MS` per system) run in the same alternating slices, so that neither system is
 *   warmer or has idled longer when its row starts, and the shared client's JIT warms on both; the
 *   system that takes the first measured slice alternates from row to row.
 * - Both clusters are up at once (six members instead of three on the machine): their idle cost is
 *   small, and the same for both rows of a pair. The faster system writes more entries per slice, so
 *   it reaches `--snapshot-count` sooner: that is the system's own behaviour, shown by `inside the row`.
 *
 * Environment: `BENCH_SYSTEMS` (default `raftkit,etcd`),
 * `BENCH_ROWS` (`;`-separated substrings of row names to run, default all), `BENCH_CPU_PROF=<dir>`
 * (raftkit members write `--cpu-prof` profiles there, one per process, on SIGTERM), `BENCH_LAYERS=1`
 * (also print, per row, the leader's mean WAL fsync, backend commit and gRPC handling times from
 * its `/metrics`, for both systems), `BENCH_LEADER_ONLY=1` (a diagnostic: the client talks to the leader only,
 * instead of spreading requests over the three members, which makes followers forward writes),
 * `BENCH_WARMUP_MS` (run each row unmeasured for this long first, default 5000, long enough for the
 * members' JIT to settle: at 1000 raftkit's put rows measured members still compiling; 0 = none: the client
 * process and the members start cold). Each row also prints the bench
 * process's own CPU per operation (the client's), next to the members'. `BENCH_CLUSTER_WARMUP_MS`
 * (default 15000; 0 = none): an unmeasured mixed load once per cluster before the first row.
 * raftkit's members need it: their JIT settles only after tens of thousands of puts. Measured
 * 2026-12-06, put at 1 in flight, two alternated pairs: without the cluster warm-up 0.72 and 0.74
 * times etcd's (members' CPU 1.46-1.55 ms per put), with it 0.89 and 0.87 (1.16-1.20 ms); a 15 s
 * row warm-up on top of it did not raise it further (0.88, 0.84). Since the command sets V8's tier-up
 * budget (`MEMBER_INTERRUPT_BUDGET`, src/etcd/cli/member-thread.ts) a member settles after about
 * 5,000 puts; on a second VM, without the cluster warm-up, put at 1 in flight measured 0.82 and
 * 0.69 in two runs, against 0.75-0.86 with it in six: within that machine's noise. The warm-up
 * stays: both systems get it, and it costs 15 s.
 *
 * The raftkit members run as users run `npx raftkit`: the built `dist/cli.js` (the bench first runs
 * `npm run build` when dist/ is missing or older than src/). `BENCH_MEMBERS=src` runs them from the
 * sources under tsx instead, so that `BENCH_CPU_PROF` profiles name source files rather than tsup's
 * chunks (tsx's transform wraps each named closure in `__name`, which costs the members some CPU).
 * `BENCH_CLI=<path>` runs the members from another built `cli.js` (for A/B runs of two builds, e.g. a copy
 * of dist/ inside this checkout, where its imports still resolve), not rebuilt.
 * `BENCH_NODE_ARGS` (space-separated) gives the members' node extra options (e.g. their own
 * `--max-semi-space-size`, which the command then keeps instead of its own young generation).
 * `BENCH_MEMBER_LOG=<prefix>` writes each member's stdout and stderr to `<prefix>-<kind>-<name>.log`
 * (`kind` is `raftkit` or `etcd`).
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
 * log and KV compactions, GC time per member, and the applied index range. One run writes about 100,000 entries
 * per system, so the snapshot at `--snapshot-count` (etcd's default 100,000 in both) lands in one of the last rows.
 * Members inherit the bench's environment, so `ETCD_SNAPSHOT_COUNT=<n>` (or any other `ETCD_*`
 * flag variable) sets a flag for both systems' members.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { builtCli } from './built-cli.js';
import { inside, layers, leaderHost, machineBusySeconds, scrape, startCluster } from './etcd-cluster.js';
import { etcdRows, type RowRun, type Side } from './etcd-rows.js';
import { aggregateSlices, LATENCY_QUANTILES, latencyFigures, pairSpread, sliceSchedule, type Slice } from './slices.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const METHOD = process.env['BENCH_METHOD'] ?? 'interleaved';
if (METHOD !== 'interleaved' && METHOD !== 'sequential') throw new Error(`BENCH_METHOD must be interleaved or sequential, not ${METHOD}`);
const DURATION_MS = Number(process.env['BENCH_CELL_MS'] ?? 3000);
const SLICE_MS = Number(process.env['BENCH_SLICE_MS'] ?? 1000);
const SLICES = Number(process.env['BENCH_SLICES'] ?? 6);
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 250);
const SYSTEMS = (process.env['BENCH_SYSTEMS'] ?? 'raftkit,etcd').split(',');
const ROWS = process.env['BENCH_ROWS']?.split(';');
const CPU_PROF = process.env['BENCH_CPU_PROF'];
const LEADER_ONLY = process.env['BENCH_LEADER_ONLY'] === '1';
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 5000);
const CLUSTER_WARMUP_MS = Number(process.env['BENCH_CLUSTER_WARMUP_MS'] ?? 15000);
const MEMBERS = process.env['BENCH_MEMBERS'] ?? 'dist';
if (MEMBERS !== 'dist' && MEMBERS !== 'src') throw new Error(`BENCH_MEMBERS must be dist or src, not ${MEMBERS}`);
const WATCHER_ROLE = process.env['BENCH_WATCHER'] === 'leader' ? 'leader' : 'follower';

/** How a raftkit member starts: node's arguments before the member's flags (`BENCH_NODE_ARGS` first). */
function memberCommand(): string[] {
  const main = MEMBERS === 'src' ? join(root, 'src/etcd/cli/main.ts') : (process.env['BENCH_CLI'] ?? builtCli(root, (line) => console.log(line)));
  const node = process.env['BENCH_NODE_ARGS']?.split(' ').filter((a) => a !== '') ?? [];
  return MEMBERS === 'src' ? [...node, '--import', 'tsx', main] : [...node, main];
}

/** One system's figures for one row. */
interface Row { opsPerSec: number; p99Ms: number; quantilesMs?: number[]; layers?: string; cpuMsPerOp?: number; clientCpuMsPerOp?: number; peerMsgsPerOp?: number; watcher?: string; inside?: string; idleCpuMsPerSec?: number; sliceOpsPerSec?: number[]; otherCores?: number; ownSliceOtherCores?: number }

const ROW_DEFS = etcdRows(WATCHER_ROLE);
const selectedRows = ROW_DEFS.filter(([name]) => ROWS === undefined || ROWS.some((r) => name.includes(r)));

/**
 * Unmeasured, once per cluster before the first row: puts at 64 in flight and linearizable ranges,
 * so that the members' JIT has settled (a fresh Node member doubles its 1-in-flight put rate over its
 * first 20 s; a server in production runs warm). Every cluster gets the same load, in turns of 1.5 s.
 *
 * First, every member's `/metrics` is read, as Prometheus reads a member's from its start. The
 * bench's own reads at a row's edges were otherwise a raftkit member's first: measured 2026-12-06
 * (puts at 1 in flight, blocks of 800 alternating with etcd's), a member's first scrape raised its
 * mean put latency by 25-30% for about 3 s (V8 dropped optimized code of Node's stream functions,
 * shared with the member's HTTP/2 streams, on HTTP/1's objects: `--trace-deopt`), which the first row
 * measured; once a member has been scraped, another scrape changed nothing measurable (1.17 to 1.19
 * ms). etcd's puts did not move. Priming a member with HTTP/1 requests to itself as it starts did not
 * prevent it. Since then the command serves HTTP from its main thread (endpoint-bridge.ts): the
 * block after a member's first scrape ran from 2% faster to 24% slower, 9% slower at the median of
 * eight runs (prom-client's collectors storing new kinds of values in the member's thread: "not a
 * Smi", "wrong map" in `setValue`), so the read stays.
 */
async function warmClusters(sides: readonly Side[]): Promise<void> {
  for (const s of sides) await Promise.all(s.cluster.metrics.map(scrape));
  const runs = await Promise.all(sides.map(async (s) => [await ROW_DEFS[1]![1](s), await ROW_DEFS[2]![1](s)] as const));
  const turns = Math.ceil(CLUSTER_WARMUP_MS / 1500);
  for (const s of sliceSchedule(sides.length, Math.max(1, turns))) {
    if (CLUSTER_WARMUP_MS <= 0) break;
    await runs[s]![0].slice(1000);
    await runs[s]![1].slice(500);
  }
}

/** Members' metrics and CPU at a row's edges, and what they say about the row. */
async function edges(side: Side): Promise<(ops: number, clientCpuMs: number) => Promise<Row>> {
  const { cluster } = side;
  const before = await Promise.all(cluster.metrics.map(scrape));
  const cpu0 = cluster.cpuSeconds();
  return async (ops, clientCpuMs) => {
    const cpu = cluster.cpuSeconds() - cpu0;
    const after = await Promise.all(cluster.metrics.map(scrape));
    const r: Row = { opsPerSec: NaN, p99Ms: NaN, inside: inside(before, after), cpuMsPerOp: (cpu * 1000) / ops, clientCpuMsPerOp: clientCpuMs / ops };
    const leader = after.findIndex((m) => m.get('etcd_server_is_leader') === 1);
    if (leader >= 0) r.layers = layers(before[leader]!, after[leader]!);
    // Raft messages the members sent each other per operation (raftkit's own metric; etcd has none).
    const sent = (ms: Map<string, number>[]): number => ms.reduce((n, m) => n + (m.get('raft_transport_messages_sent_total') ?? 0), 0);
    if (sent(after) > 0) r.peerMsgsPerOp = (sent(after) - sent(before)) / ops;
    return r;
  };
}

/** CPU milliseconds this process (the client) has used, user + system. */
const clientCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Starts timing the machine's other load: the returned function says how many cores, on average since
 * this call, processes other than `sides`' members and this one (the client) kept busy. NaN without /proc.
 */
function otherLoad(sides: readonly Side[]): () => number {
  const ours = (): number => sides.reduce((n, x) => n + x.cluster.cpuSeconds(), 0) + clientCpuMs() / 1000;
  const t0 = performance.now();
  const busy0 = machineBusySeconds();
  const ours0 = ours();
  return () => (machineBusySeconds() - busy0 - (ours() - ours0)) / ((performance.now() - t0) / 1000);
}

/** The old method: every row on one cluster (`BENCH_CELL_MS` each), then the next cluster's. */
async function measureSequential(side: Side): Promise<Record<string, Row>> {
  await warmClusters([side]);
  const out: Record<string, Row> = {};
  for (const [name, setUp] of selectedRows) {
    const run = await setUp(side);
    // Unmeasured: warms the JIT of the client and of the members (the raftkit rows run first).
    if (WARMUP_MS > 0) await run.slice(WARMUP_MS);
    const end = await edges(side);
    run.start();
    const c0 = clientCpuMs();
    const others = otherLoad([side]);
    const m = await run.slice(DURATION_MS);
    const otherCores = others();
    const edgeRow = await end(m.ops, clientCpuMs() - c0);
    const watcher = await run.finish();
    out[name] = { ...edgeRow, opsPerSec: (m.ops * 1000) / m.ms, ...latencyFigures(m.latencies), ...(watcher === undefined ? {} : { watcher }), otherCores };
  }
  return out;
}

/** The interleaved method (see the header): every row on every cluster, in alternating slices. Returns rows by system, and each row's spread. */
async function measureInterleaved(sides: readonly Side[]): Promise<{ rows: Record<string, Row>[]; pairRatios: Record<string, number[]> }> {
  await warmClusters(sides);
  const rows: Record<string, Row>[] = sides.map(() => ({}));
  const pairRatios: Record<string, number[]> = {};
  for (const [ri, [name, setUp]] of selectedRows.entries()) {
    const runs: RowRun[] = [];
    for (const s of sides) runs.push(await setUp(s));
    const first = ri % sides.length;
    // Unmeasured, in the same turns: warms the client's and the members' JIT on this row's load.
    if (WARMUP_MS > 0) for (const s of sliceSchedule(sides.length, Math.max(1, Math.round(WARMUP_MS / SLICE_MS)), first)) await runs[s]!.slice(SLICE_MS);
    const ends = await Promise.all(sides.map(edges));
    for (const r of runs) r.start();
    const slices: Slice[] = [];
    const clientMs = sides.map(() => 0);
    const others = otherLoad(sides);
    for (const s of sliceSchedule(sides.length, SLICES, first)) {
      await new Promise((res) => setTimeout(res, SETTLE_MS));
      const cpu0 = sides.map((x) => x.cluster.cpuSeconds());
      const c0 = clientCpuMs();
      const busy0 = machineBusySeconds();
      const m = await runs[s]!.slice(SLICE_MS);
      const busy = machineBusySeconds() - busy0;
      const client = clientCpuMs() - c0;
      clientMs[s]! += client;
      const cpuSeconds = sides.map((x, i) => x.cluster.cpuSeconds() - cpu0[i]!);
      const otherSeconds = busy - cpuSeconds.reduce((a, b) => a + b, 0) - client / 1000;
      slices.push({ system: s, ops: m.ops, ms: m.ms, latencies: m.latencies, cpuSeconds, otherSeconds });
    }
    const otherCores = others();
    const sum = aggregateSlices(slices, sides.length);
    const edgeRows = await Promise.all(sides.map((_, i) => ends[i]!(sum.systems[i]!.ops, clientMs[i]!)));
    for (const [i, t] of sum.systems.entries()) {
      const watcher = await runs[i]!.finish();
      rows[i]![name] = { ...edgeRows[i]!, opsPerSec: t.opsPerSec, p99Ms: t.p99Ms, quantilesMs: t.quantilesMs, ...(watcher === undefined ? {} : { watcher }), ...(sides.length > 1 ? { idleCpuMsPerSec: t.idleCpuMsPerSec, ownSliceOtherCores: t.otherCores } : {}),
        sliceOpsPerSec: slices.filter((x) => x.system === i).map((x) => (x.ops * 1000) / x.ms), otherCores };
    }
    pairRatios[name] = sum.pairRatios;
  }
  return { rows, pairRatios };
}

/** What this benchmark compares, for `npm run bench`'s header. */
export const about = 'the etcd3 npm client against 3 raftkit processes and 3 real etcd members on loopback, load alternating between the clusters in short slices: puts (1 and 64 in flight), linearizable and serializable ranges, watch events/s (the watcher on a follower in both clusters); target: raftkit at least as fast as etcd on every row, p99 no worse';

/** Starts the cluster of `kind` and the shared client on it. */
async function startSide(kind: 'raftkit' | 'etcd', member: string[]): Promise<Side> {
  const cluster = await startCluster(kind, member, root, CPU_PROF);
  return { cluster, client: new Etcd3({ hosts: LEADER_ONLY ? await leaderHost(cluster.hosts) : cluster.hosts }) };
}

/** Stops a side: its client, then its members, after printing their peak RSS. */
async function stopSide(side: Side): Promise<void> {
  console.log(`  ${side.cluster.kind} members' peak RSS: ${side.cluster.peakRssMiB().map((m) => m.toFixed(0)).join('/')} MiB`);
  side.client.close();
  await side.cluster.stop();
}

/** One row's figures, as `run()` returns them (and `npm run bench -- --json` writes them). */
export interface EtcdBenchRow {
  /** raftkit's figures, when it ran. */
  raftkit?: Row;
  /** etcd's figures, when it ran. */
  etcd?: Row;
  /** raftkit's ops/s over etcd's, when both ran. */
  ratio?: number;
  /** With the interleaved method and both systems, raftkit's ops/s over etcd's per pair of slices. */
  pairRatios?: number[];
}

/**
 * Runs the benchmark and prints a table.
 *
 * @returns the method and each row's figures by row name.
 */
export async function run(): Promise<{ method: string; rows: Record<string, EtcdBenchRow> }> {
  const member = SYSTEMS.includes('raftkit') ? memberCommand() : [];
  const etcdThere = SYSTEMS.includes('etcd') && spawnSync('etcd', ['--version']).status === 0;
  const kinds = [...(SYSTEMS.includes('raftkit') ? ['raftkit' as const] : []), ...(etcdThere ? ['etcd' as const] : [])];
  const how = METHOD === 'interleaved'
    ? `interleaved: ${String(SLICES)} slices of ${String(SLICE_MS / 1000)} s per system per row, ${String(SETTLE_MS)} ms idle before each`
    : `sequential: ${String(DURATION_MS / 1000)} s per row, one cluster after the other`;
  console.log(`etcd API: etcd3 npm client, 3 members each, loopback, ${how}; raftkit members: ${MEMBERS === 'src' ? 'src/ under tsx' : 'dist/cli.js'}` +
    ` (node options: ${member.filter((a) => a.startsWith('--') && a !== '--import').join(' ') || 'none'})`);
  if (SYSTEMS.includes('etcd') && !etcdThere) console.log('(etcd not installed: raftkit rows only)');
  const results: Partial<Record<'raftkit' | 'etcd', Record<string, Row>>> = {};
  let pairRatios: Record<string, number[]> = {};
  if (METHOD === 'sequential') {
    for (const kind of kinds) {
      const side = await startSide(kind, member);
      try {
        results[kind] = await measureSequential(side);
      } finally {
        await stopSide(side);
      }
    }
  } else {
    const sides: Side[] = [];
    try {
      for (const kind of kinds) sides.push(await startSide(kind, member));
      const m = await measureInterleaved(sides);
      for (const [i, kind] of kinds.entries()) results[kind] = m.rows[i]!;
      pairRatios = m.pairRatios;
    } finally {
      for (const side of sides) await stopSide(side);
    }
  }
  print(results, pairRatios);
  const rows: Record<string, EtcdBenchRow> = {};
  for (const [name] of selectedRows) {
    const r = results.raftkit?.[name];
    const e = results.etcd?.[name];
    rows[name] = { ...(r === undefined ? {} : { raftkit: r }), ...(e === undefined ? {} : { etcd: e }), ...(r === undefined || e === undefined ? {} : { ratio: r.opsPerSec / e.opsPerSec }),
      ...(pairRatios[name] === undefined || pairRatios[name].length === 0 ? {} : { pairRatios: pairRatios[name] }) };
  }
  return { method: METHOD, rows };
}

/** Prints the table: per row and system the layers (with `BENCH_LAYERS=1`), the watcher, what happened inside, then one line per row. */
function print(results: Partial<Record<'raftkit' | 'etcd', Record<string, Row>>>, pairRatios: Record<string, number[]>): void {
  const systems = (['raftkit', 'etcd'] as const).flatMap((sys) => (results[sys] === undefined ? [] : [[sys, results[sys]] as const]));
  const names = selectedRows.map(([name]) => name);
  const each = (line: (sys: string, row: string, r: Row) => string | undefined): void => {
    for (const row of names) {
      for (const [sys, rows] of systems) {
        const r = rows[row];
        const l = r === undefined ? undefined : line(sys, row, r);
        if (l !== undefined) console.log(l);
      }
    }
  };
  if (process.env['BENCH_LAYERS'] === '1') each((sys, row, r) => `  ${sys} leader, ${row}: ${r.layers ?? '-'}`);
  each((sys, row, r) => (r.watcher === undefined ? undefined : `  ${sys} ${row}: watcher on ${r.watcher}`));
  each((sys, row, r) => (r.inside === undefined ? undefined : `  ${sys} ${row}: inside the row: ${r.inside}` +
    (r.idleCpuMsPerSec === undefined ? '' : `; members' CPU while the other system was measured ${r.idleCpuMsPerSec.toFixed(0)} ms/s`) +
    (r.otherCores === undefined || Number.isNaN(r.otherCores) ? '' : `; other processes kept ${r.otherCores.toFixed(2)} cores busy` +
      (r.ownSliceOtherCores === undefined || Number.isNaN(r.ownSliceOtherCores) ? '' : ` (${r.ownSliceOtherCores.toFixed(2)} during its own slices)`))));
  const quantiles = (x: Row): string => (x.quantilesMs ?? []).map((q) => q.toFixed(q < 10 ? 2 : 1)).join('/');
  each((sys, row, r) => (r.quantilesMs === undefined ? undefined : `  ${sys} ${row}: latency p${LATENCY_QUANTILES.join('/p')} ${quantiles(r)} ms` +
    (sys === 'raftkit' && results.etcd?.[row]?.quantilesMs !== undefined ?
      `, over etcd's ${r.quantilesMs.map((q, i) => (q / results.etcd![row]!.quantilesMs![i]!).toFixed(2)).join('/')}` : '')));
  const cpu = (x: Row): string => (x.cpuMsPerOp === undefined ? '' : ` cpu ${x.cpuMsPerOp.toFixed(2)} ms/op (client ${(x.clientCpuMsPerOp ?? 0).toFixed(2)})`) +
    (x.peerMsgsPerOp === undefined ? '' : ` msgs ${x.peerMsgsPerOp.toFixed(2)}/op`);
  for (const row of names) {
    const parts = systems.flatMap(([sys, rows]) => {
      const r = rows[row];
      return r === undefined ? [] : [`${sys} ${r.opsPerSec.toFixed(0).padStart(7)}/s p99 ${r.p99Ms.toFixed(1).padStart(6)} ms${cpu(r)}`];
    });
    const r = results.raftkit?.[row];
    const e = results.etcd?.[row];
    const ratio = r === undefined || e === undefined ? '' : `  ratio ${(r.opsPerSec / e.opsPerSec).toFixed(2)}x` +
      (pairRatios[row] === undefined || pairRatios[row].length === 0 ? '' : ` (${pairSpread(pairRatios[row])})`) + `, p99 ${(r.p99Ms / e.p99Ms).toFixed(2)}x`;
    if (parts.length > 0) console.log(`${row.padEnd(36)} ${parts.join(' | ')}${ratio}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
