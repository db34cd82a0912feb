/**
 * etcd API benchmark: the same client (the `etcd3` npm client) against a 3-member cluster of
 * `raftkit` processes and a 3-member real etcd (`etcd` on the PATH; skipped with a note when
 * absent), on loopback in one run: puts with 1 and 64 in flight, linearizable and serializable
 * ranges, and watch events per second. Prints ops/s and p99 latency per row and the ratio
 * raftkit / etcd. Run with `npm run bench -- etcd`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { percentile } from './util.js';
import { freePort } from '../examples/kv-cluster/driver.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION_MS = 3000;

interface Cluster {
  hosts: string[];
  stop(): void;
}

async function startCluster(kind: 'raftkit' | 'etcd'): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const names = ['b1', 'b2', 'b3'];
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort() })));
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const procs: ChildProcess[] = names.map((n, i) => {
    const p = ports[i]!;
    const args = [
      '--name', n, '--data-dir', join(dir, n), '--listen-client-urls', `http://127.0.0.1:${p.client}`, '--advertise-client-urls', `http://127.0.0.1:${p.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-cluster', initial,
      '--initial-cluster-state', 'new', '--initial-cluster-token', `bench-${kind}`, '--log-level', 'error',
    ];
    return kind === 'etcd'
      ? spawn('etcd', args, { stdio: 'ignore' })
      : spawn(process.execPath, ['--import', 'tsx', join(root, 'src/etcd/cli/main.ts'), ...args], { cwd: root, stdio: 'ignore' });
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
    stop() {
      for (const p of procs) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Row { opsPerSec: number; p99Ms: number }

/** Runs `op` with `inFlight` concurrent loops for DURATION_MS; ops/s and p99 latency. */
async function load(inFlight: number, op: (i: number) => Promise<unknown>): Promise<Row> {
  const lat: number[] = [];
  const end = performance.now() + DURATION_MS;
  let n = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op(n++);
      lat.push(performance.now() - t);
    }
  }));
  return { opsPerSec: lat.length / (DURATION_MS / 1000), p99Ms: percentile(lat, 99) };
}

async function watchRate(client: Etcd3): Promise<Row> {
  const w = await client.watch().prefix('bw/').create();
  let events = 0;
  w.on('put', () => events++);
  const t0 = performance.now();
  const r = await load(64, (i) => client.put(`bw/${i % 100}`).value('x').exec());
  await new Promise((res) => setTimeout(res, 200));
  await w.cancel();
  return { opsPerSec: events / ((performance.now() - t0) / 1000), p99Ms: r.p99Ms };
}

async function measure(hosts: string[]): Promise<Record<string, Row>> {
  const client = new Etcd3({ hosts });
  const value = 'v'.repeat(256);
  const out: Record<string, Row> = {};
  out['put, 1 in flight'] = await load(1, (i) => client.put(`b/${i % 1000}`).value(value).exec());
  out['put, 64 in flight'] = await load(64, (i) => client.put(`b/${i % 1000}`).value(value).exec());
  out['range linearizable, 16 in flight'] = await load(16, (i) => client.kv.range({ key: Buffer.from(`b/${i % 1000}`) }));
  out['range serializable, 16 in flight'] = await load(16, (i) => client.kv.range({ key: Buffer.from(`b/${i % 1000}`), serializable: true }));
  out['watch events/s (64 writers)'] = await watchRate(client);
  client.close();
  return out;
}

/** What this benchmark compares, for `npm run bench`'s header. */
export const about = 'the etcd3 npm client against 3 raftkit processes and 3 real etcd members on loopback: puts (1 and 64 in flight), linearizable and serializable ranges, watch events/s; target: raftkit at least as fast as etcd on every row, p99 no worse';

/** Runs the benchmark and prints a table. */
export async function run(): Promise<void> {
  console.log(`etcd API: etcd3 npm client, 3 members each, loopback, ${DURATION_MS / 1000} s per row`);
  const rk = await startCluster('raftkit');
  let raftkit: Record<string, Row>;
  try {
    raftkit = await measure(rk.hosts);
  } finally {
    rk.stop();
  }
  let etcd: Record<string, Row> | undefined;
  if (spawnSync('etcd', ['--version']).status === 0) {
    const ec = await startCluster('etcd');
    try {
      etcd = await measure(ec.hosts);
    } finally {
      ec.stop();
    }
  } else {
    console.log('(etcd not installed: raftkit rows only)');
  }
  for (const [row, r] of Object.entries(raftkit)) {
    const e = etcd?.[row];
    const ratio = e === undefined ? '' : `  ratio ${(r.opsPerSec / e.opsPerSec).toFixed(2)}x, p99 ${(r.p99Ms / e.p99Ms).toFixed(2)}x`;
    console.log(`${row.padEnd(36)} raftkit ${r.opsPerSec.toFixed(0).padStart(7)}/s p99 ${r.p99Ms.toFixed(1).padStart(6)} ms` +
      (e === undefined ? '' : ` | etcd ${e.opsPerSec.toFixed(0).padStart(7)}/s p99 ${e.p99Ms.toFixed(1).padStart(6)} ms`) + ratio);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
