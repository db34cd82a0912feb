/**
 * The nemesis: a seeded schedule of faults against the member processes. Every interval
 * (drawn from [½, 1½] of `intervalMs`) it picks one action:
 * - `kill`: kill -9 a random healthy member, restart it on its data after a delay;
 * - `pause`: SIGSTOP a random healthy member, SIGCONT it after a delay;
 * - `kill-leader`: kill -9 the current leader (a random member if none is known), restart it later;
 * - `restart-all`: a rolling restart, kill -9 and restart each healthy member in turn;
 * - `hostile`: a hostile peer (see `hostile-peer.ts`) connects to a random healthy member in
 *   the name of another member and sends it a burst of mutated Raft frames; none may stop it.
 *
 * Invariant: at most f = ⌊(n−1)/2⌋ members are faulty (killed or paused) at once, so a
 * majority is always up and the cluster can make progress. Each action holds one of f slots
 * while it runs and takes down at most one member at a time; an action due while every slot
 * is held is skipped.
 *
 * The kinds allowed are first used once each, in a seeded order, so a short run sees each.
 */
import { DEFAULT_MAX_REQUEST_BYTES, SeededRng } from '../src/index.js';
import { ENVELOPE_OVERHEAD } from '../src/replica/envelope.js';
import type { ChaosCluster } from './cluster.js';
import { HostilePeer } from './hostile-peer.js';
import type { FaultKind } from './options.js';

/** One fault that made the cluster lose its leader, and how long a new election took. */
export interface Failover {
  /** The fault. */
  kind: FaultKind;
  /** The leader that was killed or paused. */
  oldLeader: number;
  /** When the fault was injected (the run's clock). */
  at: number;
  /** Milliseconds until a responsive member reported a leader of a later term; undefined if none within 15 s. */
  electedMs?: number;
  /** True when the fault healed before anyone else was elected, and the old leader still led its term. */
  survived?: boolean;
  /** The leader elected then. */
  newLeader?: number;
}

/** What the nemesis needs. */
export interface NemesisOptions {
  /** Seeds its choices. */
  seed: number;
  /** Mean time between actions. */
  intervalMs: number;
  /** Longest time a member stays killed or paused. */
  downMs: number;
  /** Kinds it may pick. */
  faults: readonly FaultKind[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The fault injector of one chaos run. */
export class Nemesis {
  /** Actions taken, by kind (a `kill-leader` with no known leader counts as `kill`). */
  readonly counts: Record<FaultKind, number> = { kill: 0, pause: 0, 'kill-leader': 0, 'restart-all': 0, hostile: 0 };
  /** Frames the hostile peer sent (message frames, snapshot connections, connection-closing garbage). */
  readonly hostileFrames = { messages: 0, snapshots: 0, closing: 0 };
  /** Processes killed with SIGKILL (restart-all included) and paused with SIGSTOP. */
  readonly signals = { sigkill: 0, sigstop: 0 };
  /** Faults that hit the leader, with the election time observed. */
  readonly failovers: Failover[] = [];
  /** Actions skipped because f members were already faulty. */
  skipped = 0;
  /** The most members faulty at once. */
  maxFaulty = 0;
  private readonly o: NemesisOptions;
  private readonly cluster: ChaosCluster;
  private readonly rng: SeededRng;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly slots: number;
  private active = 0;
  private readonly tracking: Promise<void>[] = [];

  /**
   * @param o - seed, timing and kinds.
   * @param cluster - the members.
   * @param log - where actions are reported.
   * @param now - the run's clock (ms).
   */
  constructor(o: NemesisOptions, cluster: ChaosCluster, log: (line: string) => void, now: () => number) {
    this.o = o;
    this.cluster = cluster;
    this.rng = new SeededRng(o.seed * 7919 + 17);
    this.log = log;
    this.now = now;
    this.slots = Math.floor((cluster.ids.length - 1) / 2);
  }

  /** The most members that may be faulty at once. */
  get maxDown(): number {
    return this.slots;
  }

  /** Injects faults until `endAt` (the run's clock), then waits for every fault to heal. */
  async run(endAt: number): Promise<void> {
    const queue = this.shuffled([...this.o.faults]);
    const running: Promise<void>[] = [];
    for (;;) {
      const wait = this.o.intervalMs * (0.5 + this.rng.nextFloat());
      if (this.now() + wait >= endAt) break;
      await sleep(wait);
      if (this.o.faults.length === 0) continue;
      // A hostile peer takes no member down, so it needs no slot: while every slot is held,
      // the first queued kind that can run goes first.
      const full = this.active >= this.slots;
      const at = queue.findIndex((k) => !full || k === 'hostile');
      const kind = at >= 0 ? queue[at]! : queue.length > 0 ? undefined : this.o.faults[this.rng.nextInt(this.o.faults.length)]!;
      const slot = kind !== 'hostile';
      if (kind === undefined || (slot && full)) {
        this.skipped++;
        continue;
      }
      if (at >= 0) queue.splice(at, 1);
      if (slot) this.active++;
      running.push(
        this.act(kind)
          .catch((err: unknown) => this.log(`nemesis: ${kind} failed: ${String(err)}`))
          .finally(() => {
            if (slot) this.active--;
          }),
      );
    }
    await Promise.all(running);
    await Promise.all(this.tracking);
  }

  private async act(kind: FaultKind): Promise<void> {
    const down = (): number => Math.round(this.o.downMs * (0.2 + 0.8 * this.rng.nextFloat()));
    switch (kind) {
      case 'kill':
        return this.killFor(this.pickHealthy(), down(), 'kill');
      case 'kill-leader': {
        const view = this.cluster.leaderView();
        if (view === undefined || this.cluster.faulty().has(view.leader)) {
          this.log('nemesis: no leader known; killing a random member instead');
          return this.killFor(this.pickHealthy(), down(), 'kill');
        }
        return this.killFor(view.leader, down(), 'kill-leader');
      }
      case 'pause': {
        const id = this.pickHealthy();
        const ms = down();
        this.counts.pause++;
        this.signals.sigstop++;
        this.watchLeader(id, 'pause');
        this.cluster.pause(id);
        this.note(`SIGSTOP member ${id} for ${ms} ms`);
        await sleep(ms);
        this.cluster.resume(id);
        this.log(`nemesis: SIGCONT member ${id}`);
        return;
      }
      case 'hostile': {
        const id = this.pickHealthy();
        const others = this.cluster.ids.filter((x) => x !== id);
        const claim = others[this.rng.nextInt(others.length)]!;
        const n = 2000;
        this.counts.hostile++;
        this.note(`hostile peer claiming to be member ${claim} sends ${n} mutated frames to member ${id}`);
        const peer = new HostilePeer({ address: this.cluster.raftAddress(id), id, claim, clusterId: 'kv-example' }, this.rng.nextInt(2 ** 31), DEFAULT_MAX_REQUEST_BYTES + ENVELOPE_OVERHEAD);
        const view = this.cluster.leaderView();
        await peer.send(n, () => ({ term: view?.term ?? 1, commit: 0 }));
        peer.close();
        this.hostileFrames.messages += peer.stats.messages;
        this.hostileFrames.snapshots += peer.stats.snapshots;
        this.hostileFrames.closing += peer.stats.closing;
        return;
      }
      case 'restart-all': {
        this.counts['restart-all']++;
        this.note('rolling restart of every healthy member (kill -9, restart, one at a time)');
        for (const id of this.shuffled([...this.cluster.ids])) {
          if (this.cluster.faulty().has(id)) continue;
          this.signals.sigkill++;
          this.watchLeader(id, 'restart-all');
          await this.cluster.kill(id);
          this.note(`  kill -9 member ${id}, restarting`);
          await this.cluster.restart(id);
          await sleep(200);
        }
        this.log('nemesis: rolling restart done');
        return;
      }
    }
  }

  private async killFor(id: number, ms: number, kind: 'kill' | 'kill-leader'): Promise<void> {
    this.counts[kind]++;
    this.signals.sigkill++;
    this.watchLeader(id, kind);
    await this.cluster.kill(id);
    this.note(`kill -9 member ${id}${kind === 'kill-leader' ? ' (the leader)' : ''}, restart in ${ms} ms`);
    await sleep(ms);
    await this.cluster.restart(id);
    this.log(`nemesis: member ${id} restarted`);
  }

  /** If `id` leads, measures how long the cluster takes to report a leader of a later term. */
  private watchLeader(id: number, kind: FaultKind): void {
    const view = this.cluster.leaderView();
    if (view === undefined || view.leader !== id) return;
    const f: Failover = { kind, oldLeader: id, at: this.now() };
    this.failovers.push(f);
    this.tracking.push(
      (async () => {
        await sleep(10);
        let healedAt: number | undefined;
        while (this.now() - f.at < 15_000) {
          const v = this.cluster.leaderView();
          if (v !== undefined && v.term > view.term) {
            f.electedMs = Math.round(this.now() - f.at);
            f.newLeader = v.leader;
            this.log(`nemesis: member ${v.leader} leads term ${v.term}, ${f.electedMs} ms after the ${kind} of leader ${id}`);
            return;
          }
          // A paused leader resumed before anyone noticed keeps leading; give the others two
          // more seconds to depose it. (A killed leader is never back in its own term.)
          if (kind === 'pause' && !this.cluster.faulty().has(id)) healedAt ??= this.now();
          if (healedAt !== undefined && this.now() - healedAt > 2000) {
            f.survived = true;
            this.log(`nemesis: leader ${id} resumed and still leads term ${view.term}`);
            return;
          }
          await sleep(10);
        }
      })(),
    );
  }

  private note(what: string): void {
    const faulty = this.cluster.faulty().size;
    this.maxFaulty = Math.max(this.maxFaulty, faulty);
    this.log(`nemesis: ${what} [${faulty}/${this.cluster.ids.length} faulty]`);
  }

  private pickHealthy(): number {
    const faulty = this.cluster.faulty();
    const healthy = this.cluster.ids.filter((id) => !faulty.has(id));
    return healthy[this.rng.nextInt(healthy.length)]!;
  }

  private shuffled<T>(list: T[]): T[] {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list;
  }
}
