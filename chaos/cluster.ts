/**
 * The cluster under test: one member process per id (examples/kv-cluster/member.ts, a Replica
 * running raftkit/kv's KvStateMachine on classic-level, talking TCP on loopback), with the faults the nemesis injects (kill -9,
 * SIGSTOP/SIGCONT, restart on the same data directory) and the bookkeeping of which members
 * are faulty.
 */
import { join } from 'node:path';
import { MemberProcess, freePorts } from '../examples/kv-cluster/driver.js';

/** The last leader a member reported, with its term. */
export interface LeaderView {
  /** The leader's id (never 0). */
  leader: number;
  /** Its term. */
  term: number;
}

const READY_TIMEOUT_MS = 30_000;

/** Member processes and their fault state. */
export class ChaosCluster {
  /** The members' ids, 1…n. */
  readonly ids: readonly number[];
  private readonly dir: string;
  private readonly peers: string;
  private readonly procs = new Map<number, MemberProcess>();
  private readonly killed = new Set<number>();
  private readonly paused = new Set<number>();

  private constructor(ids: number[], dir: string, peers: string) {
    this.ids = ids;
    this.dir = dir;
    this.peers = peers;
  }

  /** Starts `n` members with data under `dir` and resolves once every one is running. */
  static async start(n: number, dir: string): Promise<ChaosCluster> {
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const ports = await freePorts(n);
    const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
    const c = new ChaosCluster(ids, dir, peers);
    await Promise.all(ids.map((id) => c.spawn(id)));
    return c;
  }

  /** The Raft (peer) address `host:port` of member `id`. */
  raftAddress(id: number): string {
    const entry = this.peers.split(',').find((p) => p.startsWith(`${id}=`));
    if (entry === undefined) throw new Error(`no member ${id}`);
    return entry.slice(entry.indexOf('=') + 1);
  }

  /** Members that are killed (not yet restarted) or paused. */
  faulty(): Set<number> {
    return new Set([...this.killed, ...this.paused]);
  }

  /** Whether member `id` is paused. */
  isPaused(id: number): boolean {
    return this.paused.has(id);
  }

  /** Processes that are running, paused ones included: what a client that knows nothing may talk to. */
  running(): MemberProcess[] {
    return this.ids.flatMap((id) => {
      const m = this.procs.get(id);
      return m !== undefined && m.alive && !this.killed.has(id) ? [m] : [];
    });
  }

  /** Processes that are running and not paused. */
  responsive(): MemberProcess[] {
    return this.running().filter((m) => !this.paused.has(m.id));
  }

  /** The current process of member `id`, if it is running. */
  process(id: number): MemberProcess | undefined {
    return this.running().find((m) => m.id === id);
  }

  /** The leader of the highest term that a responsive member last reported, if any. */
  leaderView(): LeaderView | undefined {
    let best: LeaderView | undefined;
    for (const m of this.responsive()) {
      if (m.leader !== 0 && (best === undefined || m.term > best.term)) best = { leader: m.leader, term: m.term };
    }
    return best;
  }

  /** Kills member `id` with SIGKILL and waits for the process to be gone. */
  async kill(id: number): Promise<void> {
    const m = this.procs.get(id);
    this.killed.add(id);
    this.paused.delete(id);
    if (m !== undefined && m.alive) await m.kill9();
  }

  /** Starts member `id` again on its data directory and waits until it runs. */
  async restart(id: number): Promise<void> {
    await this.spawn(id);
    this.killed.delete(id);
  }

  /** Suspends member `id` (SIGSTOP). */
  pause(id: number): void {
    this.paused.add(id);
    this.procs.get(id)?.pause();
  }

  /** Resumes member `id` (SIGCONT). */
  resume(id: number): void {
    this.procs.get(id)?.resume();
    this.paused.delete(id);
  }

  /** Resumes every paused member and restarts every killed one. */
  async heal(): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    await Promise.all([...this.killed].map((id) => this.restart(id)));
  }

  /** Resumes and stops every member cleanly (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    await Promise.all(
      [...this.procs.values()].map(async (m) => {
        if (!m.alive) return;
        const timer = setTimeout(() => void m.kill9(), 10_000);
        await m.stop();
        clearTimeout(timer);
      }),
    );
  }

  private async spawn(id: number): Promise<void> {
    const m = new MemberProcess(id, join(this.dir, `member-${id}`), this.peers);
    this.procs.set(id, m);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`member ${id} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([m.ready(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
