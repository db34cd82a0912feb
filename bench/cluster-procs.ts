/**
 * The clusters of the cluster benchmark: three raftkit member processes (bench/cluster-member.ts)
 * or three etcd processes, each with its peak RSS read from /proc, the same closed-loop
 * workload, and a kill -9 of the leader.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../examples/kv-cluster/driver.js';
import type { MemberReply, MemberRequest } from './cluster-member.js';
import { stageTable, type Stamps } from './cluster-trace.js';
import { reapOnExit } from './reaper.js';
import { Samples } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));

/** What one load cell measured. */
export interface CellResult {
  ops: number;
  ms: number;
  p50: number;
  p99: number;
  p999: number;
  /** Peak RSS of each member, in MiB. */
  rssMiB: number[];
  /** Extra detail (profiles), printed as is. */
  note?: string;
}

/** A 3-member cluster the benchmark drives. */
export interface BenchCluster {
  /** Runs `inflight` closed-loop writers against the leader for `ms` (after `warmMs`). */
  load(inflight: number, ms: number, warmMs: number): Promise<CellResult>;
  /** Kills the leader with SIGKILL; resolves to the time until a survivor accepted a write, in ms. */
  failover(): Promise<number>;
  /** Stops every process. */
  stop(): Promise<void>;
}

/** The peak resident set size of a process, in MiB (VmHWM), or NaN once it is gone. */
export function peakRssMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Resolves once `cond()` holds (polled every 10 ms); rejects after `timeoutMs`. */
export function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (cond()) resolve();
      else if (performance.now() > end) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 10);
    };
    check();
  });
}

/** Resolves once `child` has exited. */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/**
 * A forked benchmark member and its IPC channel: `ask` sends a request and resolves with the
 * next reply of the same `type`; `leader` replies update `leader` and `term`.
 */
export class IpcMember<Req extends { type: string }, Rep extends { type: string }> {
  leader = 0;
  term = 0;
  alive = true;
  readonly id: number;
  readonly child: ChildProcess;
  private waiting = new Map<string, (m: Rep) => void>();
  constructor(id: number, child: ChildProcess) {
    this.id = id;
    this.child = child;
    child.on('message', (m: Rep) => {
      if (m.type === 'leader') {
        const l = m as unknown as { leader: number; term: number };
        if (l.term >= this.term) [this.leader, this.term] = [l.leader, l.term];
        return;
      }
      const w = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      w?.(m);
    });
    child.on('exit', () => {
      this.alive = false;
    });
  }
  ask<T extends Rep['type'] & Req['type']>(req: Req & { type: T }): Promise<Extract<Rep, { type: T }>> {
    return new Promise((resolve) => {
      this.waiting.set(req.type, resolve as (m: Rep) => void);
      this.child.send(req);
    });
  }
}

class Member extends IpcMember<MemberRequest, MemberReply> {}

/** Three raftkit member processes on `kind` storage under `dir`. */
export async function startRaftkit(kind: 'level' | 'wal', dir: string, execArgv: string[] = []): Promise<BenchCluster> {
  const ids = [1, 2, 3];
  const ports = await freePorts(3);
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
  const members = ids.map((id) => {
    const child = fork(join(here, 'cluster-member.ts'), [String(id), join(dir, `m${id}`), peers, kind], {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Member(id, child);
  });
  const leaderOf = (): Member | undefined => {
    let best: Member | undefined;
    for (const m of members) if (m.alive && m.leader !== 0 && (best === undefined || m.term > best.term)) best = m;
    return best === undefined ? undefined : members.find((m) => m.id === best.leader && m.alive);
  };
  await waitFor(() => leaderOf() !== undefined, 30_000, 'a raftkit leader');
  let key = 0;
  return {
    async load(inflight, ms, warmMs) {
      const leader = leaderOf();
      if (leader === undefined) throw new Error('no leader');
      const tracing = process.env['BENCH_PROFILE'] === '1';
      if (tracing) await Promise.all(members.map((m) => m.ask({ type: 'trace', start: true })));
      const r = await leader.ask({ type: 'load', inflight, ms, warmMs });
      if (!r.ok) throw new Error(r.error);
      let stages: string[] = [];
      if (tracing) {
        const traces = await Promise.all(members.map((m) => m.ask({ type: 'trace', start: false })));
        const followers = new Map<number, Stamps[]>(traces.filter((t) => t.id !== leader.id).map((t) => [t.id, t.rows]));
        stages = stageTable(traces.find((t) => t.id === leader.id)!.rows, followers);
      }
      const p = r.profile;
      const note =
        p === undefined
          ? undefined
          : `event-loop delay p50 ${p.loopP50.toFixed(2)} p99 ${p.loopP99.toFixed(2)} max ${p.loopMax.toFixed(1)} ms; ` +
            `leader save p50 ${p.writeP50.toFixed(2)} p99 ${p.writeP99.toFixed(2)} ms, ${(r.ops / Math.max(1, p.writes)).toFixed(1)} entries/save` +
            stages.map((l) => `\n      ${l}`).join('');
      return { ops: r.ops, ms: r.ms, p50: r.p50, p99: r.p99, p999: r.p999, rssMiB: members.map((m) => peakRssMiB(m.child.pid)), ...(note ? { note } : {}) };
    },
    async failover() {
      const leader = leaderOf();
      if (leader === undefined) throw new Error('no leader');
      const t0 = performance.now();
      leader.child.kill('SIGKILL');
      const survivors = members.filter((m) => m !== leader);
      for (;;) {
        const ok = await Promise.all(survivors.map((m) => m.ask({ type: 'put', key: key++ }).then((r) => r.ok)));
        if (ok.some(Boolean)) return performance.now() - t0;
        if (performance.now() - t0 > 20_000) return NaN;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      for (const m of members) if (m.alive) m.child.disconnect();
      await Promise.race([Promise.all(members.map((m) => exited(m.child))), new Promise((r) => setTimeout(r, 5000))]);
      for (const m of members) if (m.alive) m.child.kill('SIGKILL');
    },
  };
}

/** Three etcd processes (the `etcd` binary on the PATH) under `dir`, driven through the etcd3 client. */
export async function startEtcd(dir: string): Promise<BenchCluster> {
  const { Etcd3 } = await import('etcd3');
  const { noop } = await import('cockatiel');
  const ports = await freePorts(6);
  const names = ['e1', 'e2', 'e3'];
  const cluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[3 + i]}`).join(',');
  const procs = names.map((n, i) =>
    spawn(
      'etcd',
      [
        `--name=${n}`,
        `--data-dir=${join(dir, n)}`,
        `--listen-client-urls=http://127.0.0.1:${ports[i]}`,
        `--advertise-client-urls=http://127.0.0.1:${ports[i]}`,
        `--listen-peer-urls=http://127.0.0.1:${ports[3 + i]}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports[3 + i]}`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=raftkit-bench',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    ),
  );
  const unreap = procs.map((p) => reapOnExit(p));
  const clientFor = (i: number, deadlineMs: number): InstanceType<typeof Etcd3> =>
    new Etcd3({
      hosts: `http://127.0.0.1:${ports[i]}`,
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: () => ({ deadline: Date.now() + deadlineMs }),
    });
  const clients = names.map((_, i) => clientFor(i, 5000));
  const value = Buffer.alloc(256, 7);
  const leaderIndex = async (): Promise<number> => {
    for (let attempt = 0; attempt < 300; attempt++) {
      const st = await Promise.all(clients.map((c) => c.maintenance.status().catch(() => undefined)));
      const leader = st.find((s) => s !== undefined && s.leader !== '0')?.leader;
      const idx = st.findIndex((s) => s !== undefined && s.header.member_id === leader);
      if (idx >= 0) return idx;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no etcd leader');
  };
  await leaderIndex();
  let key = 0;
  const dead = new Set<number>();
  return {
    async load(inflight, ms, warmMs) {
      const c = clients[await leaderIndex()]!;
      const lat = new Samples();
      let ops = 0;
      const warmEnd = performance.now() + warmMs;
      const end = warmEnd + ms;
      let start = warmEnd;
      let measuring = false;
      const worker = async (): Promise<void> => {
        for (let now = performance.now(); now < end; now = performance.now()) {
          if (!measuring && now >= warmEnd) [measuring, start] = [true, now];
          const t = performance.now();
          await c.put(String(key++ % 100_000_000).padStart(8, '0')).value(value);
          if (measuring) {
            lat.push(performance.now() - t);
            ops++;
          }
        }
      };
      await Promise.all(Array.from({ length: inflight }, worker));
      const took = performance.now() - start;
      return { ops, ms: took, p50: lat.percentile(50), p99: lat.percentile(99), p999: lat.percentile(99.9), rssMiB: procs.map((p) => peakRssMiB(p.pid)) };
    },
    async failover() {
      const li = await leaderIndex();
      const t0 = performance.now();
      procs[li]!.kill('SIGKILL');
      dead.add(li);
      const survivors = names.flatMap((_, i) => (i === li ? [] : [clientFor(i, 250)]));
      try {
        for (;;) {
          const ok = await Promise.all(
            survivors.map((c) =>
              c
                .put(String(key++).padStart(8, '0'))
                .value(value)
                .then(
                  () => true,
                  () => false,
                ),
            ),
          );
          if (ok.some(Boolean)) return performance.now() - t0;
          if (performance.now() - t0 > 20_000) return NaN;
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        for (const c of survivors) c.close();
      }
    },
    async stop() {
      for (const c of clients) c.close();
      for (const p of procs) p.kill('SIGTERM');
      await Promise.race([Promise.all(procs.map(exited)), new Promise((r) => setTimeout(r, 5000))]);
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      for (const u of unreap) u();
    },
  };
}
