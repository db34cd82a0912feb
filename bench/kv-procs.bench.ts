/**
 * raftkit/kv on a 3-member cluster of separate processes (bench/kv-member.ts: TCP on loopback,
 * LevelStorage on classic-level with fsync, the KV in the same database), the cells of issue 8:
 *
 * 1. puts (8-byte keys, 256-byte values) through the leader, 1 and 64 in flight;
 * 2. linearizable and serializable single-key ranges on a follower, 1 and 64 in flight;
 * 3. watch events/s: a watcher of every key on a follower while the leader puts with 64 in
 *    flight (latency from the put's start to the event's delivery);
 * 4. memory: the leader's heap growth per million keys while `BENCH_KV_KEYS` keys are loaded
 *    (txns of 1000 puts), and the peak RSS of a follower, killed before the load, catching the
 *    store up through a streamed snapshot, then restarting on it.
 *
 * Environment: `BENCH_CELL_MS` (default 3000), `BENCH_WARM_MS` (default 500), `BENCH_KV_KEYS`
 * (default 200000; the figure is 1000000). Run alone with `npm run bench -- kv-procs`.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../examples/kv-cluster/driver.js';
import { IpcMember, exited, peakRssMiB, waitFor } from './cluster-procs.js';
import type { KvLoadKind, KvMemberReply, KvMemberRequest } from './kv-member.js';
import { fmtFixed, fmtInt } from './util.js';

const CELL_MS = Number(process.env['BENCH_CELL_MS'] ?? 3000);
const WARM_MS = Number(process.env['BENCH_WARM_MS'] ?? 500);
const KEYS = Number(process.env['BENCH_KV_KEYS'] ?? 200_000);
/** Keys preloaded for the range cells. */
const RANGE_KEYS = 10_000;
/** Applied entries between snapshots: the load of `KEYS` keys (txns of 1000) takes at least one. */
const SNAPSHOT_EVERY = 1000;

const here = dirname(fileURLToPath(import.meta.url));

/** The one-line explanation printed above the tables. */
export const about =
  'raftkit/kv on 3 member processes (TCP loopback, classic-level with fsync): puts, linearizable and serializable ranges at 1 and 64 in flight, watch events/s, heap per million keys, and a follower catching up a large store through a streamed snapshot (peak RSS)';

class KvMember extends IpcMember<KvMemberRequest, KvMemberReply> {}

interface Procs {
  members: KvMember[];
  start(id: number): Promise<KvMember>;
  leader(): KvMember;
  stop(m: KvMember): Promise<void>;
  close(): Promise<void>;
}

async function startCluster(dir: string): Promise<Procs> {
  const ids = [1, 2, 3];
  const ports = await freePorts(3);
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
  const members: KvMember[] = [];
  const start = async (id: number): Promise<KvMember> => {
    const child = fork(join(here, 'kv-member.ts'), [String(id), join(dir, `m${id}`), peers, String(SNAPSHOT_EVERY)], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const m = new KvMember(id, child);
    await new Promise<void>((resolve, reject) => {
      const started = (msg: KvMemberReply): void => {
        if (msg.type !== 'started') return;
        child.off('message', started);
        child.off('exit', failed);
        resolve();
      };
      const failed = (code: number | null): void => reject(new Error(`member ${id} exited with ${code} before it started`));
      child.on('message', started);
      child.once('exit', failed);
    });
    members[id - 1] = m;
    return m;
  };
  for (const id of ids) await start(id);
  const leaderOf = (): KvMember | undefined => {
    let best: KvMember | undefined;
    for (const m of members) if (m.alive && m.leader !== 0 && (best === undefined || m.term > best.term)) best = m;
    return best === undefined ? undefined : members.find((m) => m.id === best.leader && m.alive);
  };
  await waitFor(() => leaderOf() !== undefined, 30_000, 'a leader');
  const stop = async (m: KvMember): Promise<void> => {
    if (m.alive) m.child.disconnect();
    await Promise.race([exited(m.child), new Promise((r) => setTimeout(r, 5000))]);
    if (m.alive) m.child.kill('SIGKILL');
  };
  return {
    members,
    start,
    leader: () => {
      const l = leaderOf();
      if (l === undefined) throw new Error('no leader');
      return l;
    },
    stop,
    close: async () => {
      await Promise.all(members.map(stop));
    },
  };
}

interface Cell {
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
}

const header = (first: string): string => `  ${first.padEnd(34)}${'infl'.padStart(5)}${'ops/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`;
const line = (name: string, inflight: number, c: Cell): string => `  ${name.padEnd(34)}${String(inflight).padStart(5)}${fmtInt(c.opsPerSec, 9)}${fmtFixed(c.p50ms, 2, 9)}${fmtFixed(c.p99ms, 2, 9)}`;

async function loadCell(m: KvMember, kind: KvLoadKind, inflight: number): Promise<Cell> {
  const r = await m.ask({ type: 'load', kind, inflight, ms: CELL_MS, warmMs: WARM_MS, keys: RANGE_KEYS });
  if (!r.ok) throw new Error(r.error);
  return { opsPerSec: (r.ops * 1000) / r.ms, p50ms: r.p50, p99ms: r.p99 };
}

async function fill(m: KvMember, from: number, count: number): Promise<{ ms: number; revision: number }> {
  const r = await m.ask({ type: 'fill', from, count, perTxn: 1000, inflight: 2 });
  if (!r.ok) throw new Error(`fill failed: ${r.error ?? ''}`);
  return r;
}

/** Resolves with the time until `m` has applied what the leader had applied when called. */
async function caughtUp(leader: KvMember, m: KvMember, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const target = (await leader.ask({ type: 'status' })).applied;
  for (;;) {
    const s = await m.ask({ type: 'status' });
    if (s.applied >= target) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`member ${m.id} did not catch up within ${timeoutMs} ms (applied ${s.applied} of ${target})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the benchmark and prints the tables. */
export async function run(): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-bench-kv-'));
  const figures: Record<string, unknown> = {};
  let c: Procs | undefined;
  try {
    c = await startCluster(dir);
    const leader = c.leader();
    const follower = c.members.find((m) => m !== leader)!;
    await fill(leader, 0, RANGE_KEYS);
    console.log(`requests: closed loop, ${CELL_MS} ms cells after ${WARM_MS} ms warm-up, 8-byte keys, 256-byte values; puts through the leader (the load runs in its process), ranges of one key on a follower`);
    console.log(header('cell'));
    const cells: Record<string, Cell> = {};
    for (const inflight of [1, 64]) {
      for (const [name, who, kind] of [
        ['put', leader, 'put'],
        ['range linearizable (follower)', follower, 'range-linearizable'],
        ['range serializable (follower)', follower, 'range-serializable'],
      ] as const) {
        const cell = await loadCell(who, kind, inflight);
        cells[`${name} x${inflight}`] = cell;
        console.log(line(name, inflight, cell));
      }
    }
    figures['requests'] = cells;

    console.log('watch: one watcher of every key on a follower while the leader puts with 64 in flight; latency from the put\'s start to the event\'s delivery');
    const watching = follower.ask({ type: 'watch', ms: WARM_MS + CELL_MS });
    const puts = await loadCell(leader, 'put', 64);
    const w = await watching;
    const watch = { eventsPerSec: (w.events * 1000) / w.ms, p50ms: w.p50, p99ms: w.p99, putsPerSec: puts.opsPerSec };
    console.log(`  ${fmtInt(watch.eventsPerSec)} events/s delivered (puts ${fmtInt(puts.opsPerSec)}/s), event latency p50 ${fmtFixed(w.p50, 2)} ms p99 ${fmtFixed(w.p99, 2)} ms`);
    figures['watch'] = watch;

    console.log(`memory: ${fmtInt(KEYS)} keys with 256-byte values loaded through the leader in txns of 1000 puts while follower ${follower.id} is down; it then catches up through a streamed snapshot, and restarts on it`);
    await c.stop(follower);
    const before = await leader.ask({ type: 'memory' });
    const loaded = await fill(leader, 1_000_000, KEYS);
    // Make sure a snapshot covers the whole load, so the follower needs it (and the log the
    // leader keeps in memory since its last snapshot is compacted before its heap is measured).
    const fillEnd = (await leader.ask({ type: 'status' })).applied;
    let pad = 0;
    while (!(await leader.ask({ type: 'status' })).snapshots.some((s) => s.startsWith('created@') && Number(s.split('@')[1]) >= fillEnd)) await fill(leader, 5_000_000 + pad++, 1);
    const after = await leader.ask({ type: 'memory' });
    const heapPerMillion = ((after.heapMiB - before.heapMiB) * 1_000_000) / KEYS;
    console.log(`  load: ${fmtInt(loaded.ms)} ms (${fmtInt((KEYS * 1000) / loaded.ms)} keys/s); leader heap ${fmtInt(before.heapMiB)} -> ${fmtInt(after.heapMiB)} MiB: ${fmtInt(heapPerMillion)} MiB of heap per million keys (index ${fmtInt(after.keys)} keys); leader RSS ${fmtInt(after.rssMiB)} MiB (external ${fmtInt(after.externalMiB)} MiB, of which ArrayBuffers ${fmtInt(after.arrayBuffersMiB)} MiB)`);
    const back = await c.start(follower.id);
    const catchUpMs = await caughtUp(leader, back, 600_000);
    const st = await back.ask({ type: 'status' });
    const catchUpRss = peakRssMiB(back.child.pid);
    console.log(`  catch-up: ${fmtInt(catchUpMs)} ms, snapshot ${st.snapshots.filter((s) => s.startsWith('restored')).join(',') || 'none'}; follower peak RSS ${fmtInt(catchUpRss)} MiB`);
    await c.stop(back);
    const again = await c.start(follower.id);
    await caughtUp(leader, again, 120_000);
    const restartRss = peakRssMiB(again.child.pid);
    console.log(`  restart on that snapshot: follower peak RSS ${fmtInt(restartRss)} MiB`);
    figures['memory'] = { keys: KEYS, loadMs: loaded.ms, heapMiBPerMillionKeys: heapPerMillion, leaderRssMiB: after.rssMiB, leaderExternalMiB: after.externalMiB, leaderArrayBuffersMiB: after.arrayBuffersMiB, catchUpMs, catchUpPeakRssMiB: catchUpRss, restartPeakRssMiB: restartRss };
  } finally {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
