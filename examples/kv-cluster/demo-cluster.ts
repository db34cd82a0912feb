/**
 * The demo's cluster: three member processes (member.ts) in a fresh temp folder, what each
 * one last reported (role, term, commit and applied index), the writes acknowledged so far and
 * the throughput over time, and the operator's controls (kill, restart, partition). The
 * terminal story (cluster.ts) and the web page (web.ts) both drive it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SnapshotStatus } from 'raftkit/kv';
import { DemoWatch } from './demo-watch.js';
import { MemberProcess, freePorts } from './driver.js';

/** What the demo shows of one member. */
export interface MemberView {
  id: number;
  /** The process id, while it runs. */
  pid: number | undefined;
  /** Whether the process runs. */
  alive: boolean;
  /** Whether the member is cut off the network (the partition control). */
  isolated: boolean;
  /** 'follower', 'candidate', 'pre-candidate' or 'leader' (as `status().roleName` says). */
  role: string;
  term: number;
  /** The leader this member knows, or 0. */
  leader: number;
  commit: number;
  applied: number;
  /** The index of the latest snapshot this member saved or received, or 0. */
  snapshot: number;
}

/** One throughput sample: acknowledged writes per second over the last second, at `t` ms since the start. */
export interface RateSample {
  t: number;
  rate: number;
}

/** The demo cluster and its bookkeeping. */
export class DemoCluster {
  readonly ids = [1, 2, 3];
  readonly dir: string;
  readonly t0 = Date.now();
  readonly members = new Map<number, MemberProcess>();
  readonly views = new Map<number, MemberView>();
  /** Every acknowledged write: key → its value and the revision that wrote it. */
  readonly acked = new Map<string, { value: string; revision: number }>();
  /** The KV watch, once opened. */
  watch: DemoWatch | undefined;
  /** Throughput samples, one every 250 ms. */
  readonly rates: RateSample[] = [];
  /** The timeline, oldest first. */
  readonly timeline: string[] = [];
  /** Called with each new timeline line. */
  onLog: ((line: string) => void) | undefined;
  inFlight = 0;
  private readonly peers: string;
  private readonly ackTimes: number[] = [];
  private sampler: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  private constructor(dir: string, peers: string) {
    this.dir = dir;
    this.peers = peers;
    for (const id of this.ids) this.views.set(id, { id, pid: undefined, alive: false, isolated: false, role: '-', term: 0, leader: 0, commit: 0, applied: 0, snapshot: 0 });
  }

  /** Creates the data folder and picks free loopback ports (no member runs yet). */
  static async create(): Promise<DemoCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'raftkit-demo-'));
    const ports = await freePorts(3);
    const c = new DemoCluster(dir, [1, 2, 3].map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(','));
    c.sampler = setInterval(() => c.sample(), 250);
    return c;
  }

  /** Milliseconds since the demo started. */
  now(): number {
    return Date.now() - this.t0;
  }

  /** Adds a line to the timeline. */
  log(line: string): void {
    const text = `[${String(this.now()).padStart(5)} ms] ${line}`;
    this.timeline.push(text);
    this.onLog?.(text);
  }

  /** Starts (or restarts) member `id` from its data folder and resolves once it runs. */
  async start(id: number): Promise<MemberProcess> {
    const m = new MemberProcess(id, join(this.dir, `member-${id}`), this.peers);
    this.members.set(id, m);
    m.onEvent = (e) => {
      if (e.event === 'snapshot') {
        const index = Number(e['index']);
        this.views.get(id)!.snapshot = index;
        this.log(`member ${id} ${e['kind'] === 'restored' ? 'received the leader\'s snapshot' : 'saved a snapshot'} at index ${index}`);
      } else if (e.event === 'watch') this.watch?.receive(id, e);
      else if (e.event === 'error') this.log(`member ${id} reported: ${String(e['message'])}`);
    };
    void m.exited.then(() => {
      const v = this.views.get(id)!;
      if (this.members.get(id) !== m) return;
      Object.assign(v, { alive: false, pid: undefined, role: 'stopped', isolated: false });
      if (!this.closed) void this.watch?.memberGone(id);
    });
    await m.ready();
    Object.assign(this.views.get(id)!, { alive: true, pid: m.child.pid, role: 'follower' });
    return m;
  }

  /** Kills member `id` with SIGKILL (no clean shutdown) and resolves once it is gone. */
  async kill(id: number): Promise<void> {
    const m = this.members.get(id);
    if (m?.alive === true) await m.kill9();
  }

  /** Cuts member `id` off the network (`on`), or reconnects it. */
  async isolate(id: number, on: boolean): Promise<void> {
    const m = this.members.get(id);
    if (m?.alive !== true) return;
    const a = await m.request({ op: 'isolate', on });
    if (a.ok) this.views.get(id)!.isolated = on;
  }

  /** Asks every running member for its status and updates the views. */
  async poll(): Promise<void> {
    await Promise.all(
      [...this.members.values()].filter((m) => m.alive).map(async (m) => {
        const a = await m.request({ op: 'status' });
        if (!a.ok || !m.alive) return;
        const s = a.result as { roleName: string; term: number; leader: number; commit: number; applied: number; isolated: boolean };
        Object.assign(this.views.get(m.id)!, { role: s.roleName, term: s.term, leader: s.leader, commit: s.commit, applied: s.applied, isolated: s.isolated });
      }),
    );
  }

  /** The leader every running, connected member agrees on (after a fresh poll), if any. */
  async leader(): Promise<number | undefined> {
    await this.poll();
    const up = [...this.views.values()].filter((v) => v.alive && !v.isolated);
    const l = up[0]?.leader;
    return l !== undefined && l > 0 && up.every((v) => v.leader === l) && this.views.get(l)?.alive === true ? l : undefined;
  }

  /** Writes `key` through member `via` (followers forward to the leader); records it when acknowledged. */
  async put(via: number, key: string, value: string): Promise<boolean> {
    const m = this.members.get(via);
    if (m?.alive !== true) return false;
    this.inFlight++;
    const a = await m.request({ op: 'put', key, value });
    this.inFlight--;
    if (a.ok) {
      this.acked.set(key, { value, revision: (a.result as { revision: number }).revision });
      this.ackTimes.push(Date.now());
    }
    return a.ok;
  }

  /**
   * Reads every key and value from every running member (after a linearizable read barrier
   * on each) and returns, per member, the acknowledged writes it does not hold.
   */
  async checkEveryWrite(): Promise<Map<number, string[]>> {
    const missing = new Map<number, string[]>();
    for (const m of this.members.values()) {
      if (!m.alive) continue;
      const a = await m.request({ op: 'dump', timeoutMs: 10_000 });
      if (!a.ok) throw new Error(`member ${m.id} could not be read: ${a.code} ${a.message}`);
      const data = a.result as Record<string, string>;
      missing.set(m.id, [...this.acked].filter(([k, w]) => data[k] !== w.value).map(([k]) => k));
    }
    return missing;
  }

  /** Opens a KV watch on every key starting with `prefix`, served by member `id`. */
  async openWatch(prefix: string, id: number): Promise<DemoWatch> {
    const w = new DemoWatch(this, prefix);
    this.watch = w;
    await w.open(id);
    return w;
  }

  /** Has member `id` save a backup of its KV to `path` (as `etcdctl snapshot save` does) and resolves once it is written. */
  async saveSnapshot(id: number, path: string): Promise<SnapshotStatus> {
    const a = await this.members.get(id)?.request({ op: 'snapshot', path });
    if (a?.ok !== true) throw new Error(`member ${id} could not save a snapshot: ${a?.code ?? 'not running'} ${a?.message ?? ''}`);
    return a.result as SnapshotStatus;
  }

  /** The latest throughput, in acknowledged writes per second. */
  rate(): number {
    return this.rates.at(-1)?.rate ?? 0;
  }

  private sample(): void {
    const now = Date.now();
    while (this.ackTimes.length > 0 && this.ackTimes[0]! < now - 1000) this.ackTimes.shift();
    this.rates.push({ t: now - this.t0, rate: this.ackTimes.length });
    if (this.rates.length > 240) this.rates.shift();
  }

  /**
   * Stops every member and removes the data folder. `fast` kills them with SIGKILL (on Ctrl-C
   * or SIGTERM); otherwise each is asked to stop cleanly. Idempotent.
   */
  async close(fast = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sampler);
    await Promise.all([...this.members.values()].map((m) => (fast ? m.kill9() : m.stop())));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
