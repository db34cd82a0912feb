/**
 * The cluster benchmark of issue 12: three member processes on TCP loopback with fsync, a
 * closed loop of puts (8-byte keys, 256-byte values) with 1 and 64 in flight, for raftkit on
 * LevelStorage and on WalStorage (the load generated inside the leader's process, the
 * embedded way) and, when `etcd` is on the PATH, a 3-member etcd driven through the etcd3
 * client against its leader, in the same run. Each cell starts a fresh cluster, so peak RSS
 * (VmHWM) is per cell; fail-over is timed after the 64-in-flight cell.
 *
 * Environment: `BENCH_CELL_MS` (default 4000; the issue's cells are 15000), `BENCH_WARM_MS`
 * (default 1000), `BENCH_SYSTEMS` (default `level,wal,etcd`), `BENCH_INFLIGHT` (default `1,64`), `BENCH_PROFILE=1` (members
 * report event-loop delay and save times), `BENCH_CPU_PROF=<dir>` (members write --cpu-prof
 * profiles there). Run alone with `npm run bench -- cluster`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, startRaftkit, type BenchCluster, type CellResult } from './cluster-procs.js';
import { fmtFixed, fmtInt } from './util.js';

const CELL_MS = Number(process.env['BENCH_CELL_MS'] ?? 4000);
const WARM_MS = Number(process.env['BENCH_WARM_MS'] ?? 1000);
const SYSTEMS = (process.env['BENCH_SYSTEMS'] ?? 'level,wal,etcd').split(',');
const CPU_PROF = process.env['BENCH_CPU_PROF'];
const IN_FLIGHT = (process.env['BENCH_INFLIGHT'] ?? '1,64').split(',').map(Number);

interface System {
  key: string;
  name: string;
  start(dir: string): Promise<BenchCluster>;
}

function hasEtcd(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

function systems(): System[] {
  const prof = CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`];
  const all: System[] = [
    { key: 'level', name: 'raftkit LevelStorage', start: (d) => startRaftkit('level', d, prof) },
    { key: 'wal', name: 'raftkit WalStorage', start: (d) => startRaftkit('wal', d, prof) },
    { key: 'etcd', name: 'etcd 3.4 (etcd3 client)', start: (d) => startEtcd(d) },
  ];
  return all.filter((s) => SYSTEMS.includes(s.key) && (s.key !== 'etcd' || hasEtcd()));
}

function row(name: string, inflight: number, r: CellResult): string {
  const rss = r.rssMiB.map((x) => fmtInt(x)).join('/');
  return `  ${name.padEnd(24)}${String(inflight).padStart(4)}${fmtInt((r.ops * 1000) / r.ms, 9)}${fmtFixed(r.p50, 2, 8)}${fmtFixed(r.p99, 2, 8)}${fmtFixed(r.p999, 2, 9)}   ${rss}`;
}

/** The one-line explanation printed above the table. */
export const about =
  '3-member clusters of raftkit (LevelStorage, WalStorage) and, when installed, etcd 3.4 under the same put workload, fresh cluster per cell; targets vs etcd: 1 in flight p50 <= 0.5x and p99 <= 1x, 64 in flight >= 1.5x puts/s with p99 <= 1x, fail-over < 2 election timeouts';

/** Runs the benchmark and prints the figures. */
export async function run(): Promise<unknown> {
  const results = new Map<string, CellResult>();
  const failovers = new Map<string, number>();
  const list = systems();
  console.log(
    `cluster: 3 processes, TCP loopback, fsync, puts of 8-byte keys + 256-byte values, closed loop; ${CELL_MS} ms cells after ${WARM_MS} ms warm-up, a fresh cluster per cell`,
  );
  console.log(`  ${'system'.padEnd(24)}${'infl'.padStart(4)}${'ops/s'.padStart(9)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'p99.9 ms'.padStart(9)}   peak RSS MiB per member`);
  for (const sys of list) {
    for (const inflight of IN_FLIGHT) {
      const dir = mkdtempSync(join(tmpdir(), `raftkit-bench-cluster-${sys.key}-`));
      let c: BenchCluster | undefined;
      try {
        c = await sys.start(dir);
        const r = await c.load(inflight, CELL_MS, WARM_MS);
        results.set(`${sys.key}/${inflight}`, r);
        console.log(row(sys.name, inflight, r));
        if (r.note !== undefined) console.log(`      ${r.note}`);
        if (inflight === IN_FLIGHT[IN_FLIGHT.length - 1]) failovers.set(sys.key, await c.failover());
      } catch (err) {
        console.log(`  ${sys.name.padEnd(24)}${String(inflight).padStart(4)}  failed: ${String(err)}`);
      } finally {
        await c?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  console.log('  fail-over, kill -9 of the leader to the first write a survivor accepted (election timeout 1000 ms, target < 2000 ms):');
  console.log(`    ${list.map((s) => `${s.name} ${fmtInt(failovers.get(s.key) ?? NaN)} ms`).join(', ')}`);
  const figures = { cells: Object.fromEntries(results), failoverMs: Object.fromEntries(failovers) };
  const etcd = (n: number): CellResult | undefined => results.get(`etcd/${n}`);
  if (etcd(1) === undefined) return figures;
  console.log('  raftkit / etcd in this run (ops/s: higher is better; latency: lower is better; targets: 1 in flight p50 <= 0.5, p99 <= 1; 64 in flight ops >= 1.5, p99 <= 1):');
  for (const sys of list.filter((s) => s.key !== 'etcd')) {
    for (const n of IN_FLIGHT) {
      const a = results.get(`${sys.key}/${n}`);
      const e = etcd(n);
      if (a === undefined || e === undefined) continue;
      const ratio = (x: number, y: number): string => fmtFixed(x / y, 2);
      console.log(
        `    ${sys.name.padEnd(22)}${String(n).padStart(3)} in flight: ops/s ${ratio(a.ops / a.ms, e.ops / e.ms)}x  p50 ${ratio(a.p50, e.p50)}x  p99 ${ratio(a.p99, e.p99)}x  p99.9 ${ratio(a.p999, e.p999)}x`,
      );
    }
  }
  return figures;
}
