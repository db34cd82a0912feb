/**
 * A put at 1 in flight, split by the member that takes it (run by hand:
 * `node --import tsx bench/put-paths.ts`): the etcd bench's clients spread calls over the three
 * members, so two puts in three reach a follower, which forwards them to the leader and answers
 * once it has learnt their commit. This sends puts of 256 B in blocks of `N` (default 500) to the
 * leader, then to a follower, then spread over the three members as the bench's client spreads them
 * (`mixed`: one client with every member's URL), then spread over the two followers only
 * (`followers`: the leader's work is the same as in the follower block, while each follower turns
 * between forwarding a put and only replicating it), for each cluster in turn, `ROUNDS` times (default
 * 6), and prints per cluster and path the latency percentiles (ms), the members' CPU per put (with
 * its user and system parts), and the mean of the leader and follower blocks in the bench's
 * proportion (one part leader, two parts follower): the mixed path's mean against it is what
 * spreading the calls costs. `PATHS`
 * (comma-separated, default all four) picks the paths. `IDLE_MS` (default 0) idles every
 * cluster that long before each block, as the etcd bench idles 250 ms before each slice.
 * `HIST=1` follows each path's line by its latency histogram (the share of puts per 0.1 ms, up
 * to 3 ms, and past it): at 1 in flight both systems' puts split into a fast mode and a slow one.
 * With `IDLE_MS` set, each path's line is followed by the mean latency by a put's position in its
 * block (puts 0-9, 10-24, 25-49, 50-99, 100-199, 200 on; `POSITIONS`, comma-separated, gives other
 * starts): what the idle gap costs the first puts.
 * `BENCH_NODE_ARGS` (space-separated) gives raftkit members' node extra options, as in the etcd bench
 * (with `BENCH_MEMBER_LOG` for their output). `WARMUP` (default 3000) puts go to each path of each cluster first, unmeasured. That is not
 * enough for raftkit's JIT when few paths run: 2026-12-06, `PATHS=mixed` alone (3,000 warm-up
 * puts) measured raftkit at a mean of 1.42-1.52 ms against etcd's 1.08-1.14 in three runs, but
 * 1.21 against 1.13 with `WARMUP=15000`; with all four paths (12,000 warm-up puts per cluster)
 * raftkit matched etcd on every path (mixed: mean 1.092 against 1.113 ms, members' CPU 0.96
 * against 1.06 ms per put).
 *
 * Clusters: `CLUSTERS` (default `raftkit,etcd`), comma-separated, each `etcd`, `raftkit` (this
 * checkout's dist/cli.js) or `raftkit@<cli.js>` (another build, for A/B runs of two builds in
 * the same run; its copy must sit where node finds the dependencies, e.g. another checkout).
 * Measured 00:20-01:30 (quiet): the leader path costs the members as much CPU as etcd's
 * (1.06 vs 1.07 ms per put), a forwarded put 0.22 ms more (etcd's 0.08 ms more); with
 * `IDLE_MS=250` the first 50 puts of a block take raftkit 31-40% longer than the rest (p50),
 * etcd 9-10%. 02:08: spreading the calls cost raftkit 13% in latency and 15% in members' CPU per
 * put (mixed mean 1.238 ms against 1.092 for its blocks), etcd 1% (1.066 against 1.052).
 * 2026-12-06 02:47-03:00, three runs of a throwaway variant of this file that took turns over
 * one pinned client per follower: the followers alone cost raftkit 5-9% more per put than a
 * block to one follower (1.232 vs 1.174, 1.276 vs 1.198, 1.377 vs 1.258 ms), etcd -3 to +5%
 * (1.035 vs 1.063, 1.136 vs 1.138, 1.234 vs 1.180). The protocol sends the same messages per put
 * in both, and the members' context switches per put were equal: the cost looks to lie in each
 * member turning between the two roles, not in more work. 04:13, the `followers` path as here
 * (the client picks a follower at random): raftkit +16% in latency (mean 1.487 against 1.284 ms)
 * and +24% in members' CPU per put (1.380 against 1.110 ms), etcd +1% and +4%.
 * 2026-12-06 15:20-16:30 (quiet box; `PATHS=mixed N=1000 ROUNDS=8 IDLE_MS=250 WARMUP=8000`, the
 * etcd bench's slice and gap): raftkit's mean 1.09-1.13 ms against etcd's 1.02-1.11 over five
 * runs, the two within each run's noise; by position, raftkit's first 10 puts of a block took
 * 1.40-1.81 ms (etcd 1.23-1.27) and puts 10-99 4-10% longer than etcd's, the rest the same. Two
 * builds compared with `CLUSTERS=raftkit,raftkit@<cli.js>,etcd` the same way, neither kept: a
 * follower writing its WAL frame on the event loop when peers wait on it (1.114 and 1.134 ms
 * against 1.090 and 1.096), and unary trailers handed to nghttp2 inside `wantTrailers` so that
 * they leave right after the message (1.143 against 1.131). But the same build twice measured the
 * second cluster 1.7% and, with the order rotated, 1.4% slower (members' CPU per put 4% higher),
 * and the trailers build started first measured 1.108 against 1.136: a cluster's start slot moves
 * its mean by about 2%, so compare two builds in both orders. Corrected that way, the trailers
 * build is within 1% of main, the follower's inline write 0.5-2% slower, and a leader that lets
 * its appends reach the sockets before it starts its own log write (a third build) about 1.5%
 * slower.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { builtCli } from './built-cli.js';
import { leaderHost, startCluster, type Cluster, type CpuSplit } from './etcd-cluster.js';
import { percentile } from './util.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env['N'] ?? 500);
const ROUNDS = Number(process.env['ROUNDS'] ?? 6);
const WARMUP = Number(process.env['WARMUP'] ?? 3000);
const IDLE_MS = Number(process.env['IDLE_MS'] ?? 0);
const PATH_NAMES = ['leader', 'follower', 'mixed', 'followers'] as const;
type Path = (typeof PATH_NAMES)[number];
const paths = (process.env['PATHS']?.split(',') ?? PATH_NAMES) as readonly Path[];
for (const p of paths) if (!PATH_NAMES.includes(p)) throw new Error(`PATHS: ${p} is not one of ${PATH_NAMES.join(', ')}`);

/** A fresh value per path. */
function perPath<T>(make: () => T): Record<Path, T> {
  return Object.fromEntries(PATH_NAMES.map((p) => [p, make()])) as Record<Path, T>;
}

interface Measured {
  name: string;
  cluster: Cluster;
  clients: Record<Path, Etcd3>;
  ms: Record<Path, number[]>;
  cpu: Record<Path, CpuSplit>;
}

/** Where the position buckets of {@link byPosition} start (each ends where the next starts; the last at the block's end). */
const POSITIONS = (process.env['POSITIONS'] ?? '0,10,25,50,100,200').split(',').map(Number);
if (POSITIONS[0] !== 0 || POSITIONS.some((p, i) => !Number.isInteger(p) || (i > 0 && p <= POSITIONS[i - 1]!))) throw new Error(`POSITIONS: ascending whole numbers from 0, got ${String(process.env['POSITIONS'])}`);

/** The mean latency of the puts at each bucket of positions in their block (blocks of `N`, in order; buckets past `N` are left out). */
function byPosition(ms: readonly number[]): string {
  return POSITIONS.map((from, i) => {
    const to = Math.min(POSITIONS[i + 1] ?? N, N);
    let sum = 0;
    let n = 0;
    for (let block = 0; block < ms.length; block += N) {
      for (let k = block + from; k < Math.min(block + to, ms.length); k++) {
        sum += ms[k]!;
        n++;
      }
    }
    return n === 0 ? '' : `${String(from)}-${String(to - 1)}: ${(sum / n).toFixed(3)}`;
  }).filter((x) => x !== '').join('  ');
}

/** Each 0.1 ms bucket's share of `ms` in percent, from the first bucket that holds a put up to 3 ms, then the share past it. */
function histogram(ms: readonly number[]): string {
  const buckets = new Array<number>(31).fill(0);
  for (const x of ms) buckets[Math.min(30, Math.floor(x * 10))]!++;
  const first = buckets.findIndex((n) => n > 0);
  const share = (n: number): string => `${(100 * n / ms.length).toFixed(0)}%`;
  const cells = buckets.slice(first, 30).map((n, i) => `${((first + i) / 10).toFixed(1)} ${share(n)}`);
  return `${cells.join(', ')}, 3.0+ ${share(buckets[30]!)}`;
}

const HIST = process.env['HIST'] === '1';
const measured: Measured[] = [];
try {
  for (const name of (process.env['CLUSTERS'] ?? 'raftkit,etcd').split(',')) {
    const [kind, cli] = name.split('@') as [string, string | undefined];
    if (kind !== 'raftkit' && kind !== 'etcd') throw new Error(`CLUSTERS: ${name} is neither etcd nor raftkit[@<cli.js>]`);
    const nodeArgs = process.env['BENCH_NODE_ARGS']?.split(' ').filter((a) => a !== '') ?? [];
    const cluster = await startCluster(kind, kind === 'etcd' ? [] : [...nodeArgs, cli ?? builtCli(root, (l) => console.log(l))], root, undefined);
    const leader = await leaderHost(cluster.hosts);
    const followers = cluster.hosts.filter((h) => h !== leader);
    const clients = { leader: new Etcd3({ hosts: leader }), follower: new Etcd3({ hosts: followers[0]! }), mixed: new Etcd3({ hosts: cluster.hosts }), followers: new Etcd3({ hosts: followers }) };
    measured.push({ name, cluster, clients, ms: perPath((): number[] => []), cpu: perPath((): CpuSplit => ({ user: 0, system: 0 })) });
  }
  const value = 'v'.repeat(256);
  for (const m of measured) for (const p of paths) for (let i = 0; i < WARMUP; i++) await m.clients[p].put(`w/${i % 1000}`).value(value);
  for (let r = 0; r < ROUNDS; r++) {
    // Each round starts with the next cluster, so that none always follows the same one.
    for (let c = 0; c < measured.length; c++) {
      const m = measured[(r + c) % measured.length]!;
      for (const p of paths) {
        if (IDLE_MS > 0) await new Promise((resume) => setTimeout(resume, IDLE_MS));
        const cpu = m.cluster.cpuSplitSeconds();
        for (let i = 0; i < N; i++) {
          const t = performance.now();
          await m.clients[p].put(`k/${i % 1000}`).value(value);
          m.ms[p].push(performance.now() - t);
        }
        const after = m.cluster.cpuSplitSeconds();
        m.cpu[p].user += after.user - cpu.user;
        m.cpu[p].system += after.system - cpu.system;
      }
    }
  }
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  for (const m of measured) {
    for (const p of paths) {
      const a = m.ms[p];
      const q = [10, 50, 90, 99].map((f) => `p${String(f)} ${percentile(a, f).toFixed(3)}`).join(' ');
      const perPut = (seconds: number): string => (1000 * seconds / a.length).toFixed(3);
      const { user, system } = m.cpu[p];
      console.log(`${m.name.padEnd(10)} ${p.padEnd(9)} ${q} mean ${mean(a).toFixed(3)} ms; members' CPU ${perPut(user + system)} ms/put (user ${perPut(user)}, system ${perPut(system)})`);
      if (HIST) console.log(`${' '.repeat(21)}latency histogram (ms): ${histogram(a)}`);
      if (IDLE_MS > 0) console.log(`${' '.repeat(21)}by position in the block: ${byPosition(a)}`);
    }
    if (m.ms.leader.length > 0 && m.ms.follower.length > 0 && m.ms.mixed.length > 0) {
      console.log(`${m.name.padEnd(10)} leader and follower blocks, 1 : 2: mean ${((mean(m.ms.leader) + 2 * mean(m.ms.follower)) / 3).toFixed(3)} ms (mixed: ${mean(m.ms.mixed).toFixed(3)})`);
    }
  }
} finally {
  for (const m of measured) {
    for (const c of Object.values(m.clients)) c.close();
    await m.cluster.stop();
  }
}
