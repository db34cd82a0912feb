import { StateType } from '../../raft/ready.js';
import { SeededRng } from '../../raft/rng.js';
import type { Replica } from '../../replica/replica.js';
import type { StateMachine } from '../../replica/state-machine.js';
import { InProcessNetwork, type LinkFaults } from '../../transport/in-process.js';
import { Chaos, type ChaosOptions } from './chaos.js';
import { ManualClock } from './manual-clock.js';
import { SimMember, simAddress, type SimMemberStatus, type SimReplicaOptions } from './member.js';
import { SimTimeoutError, type SimStats } from './stats.js';
import { Trace } from './trace.js';

/** Options of {@link SimCluster.start}. */
export interface SimClusterOptions<R> {
  /** The seed of everything random in the run: the same seed replays the same run. */
  seed: number;
  /** The number of initial voters, with ids 1..members. Default 3. */
  members?: number;
  /** Creates a member's state machine, at its first start and at every restart (in-memory state is rebuilt from the snapshot and log). */
  stateMachine: (id: number) => StateMachine<R>;
  /** Options for every replica (ticks default to 10 ms, `electionTick` 10, `heartbeatTick` 1). */
  replica?: SimReplicaOptions;
  /** How many of the latest trace lines to keep for printing. Default 2000. */
  traceLines?: number;
}

/** Options of {@link SimCluster.runUntil} and {@link SimCluster.drive}. */
export interface RunOptions {
  /** Virtual milliseconds to wait before failing with {@link SimTimeoutError}. Default 10000. */
  timeoutMs?: number;
}

/**
 * Lets every pending microtask (and the microtasks they queue, transitively) run. One
 * `setImmediate` turn is a macrotask boundary: Node drains the whole microtask queue before
 * it, however deep the promise chains are, so no fixed number of `await`s has to be guessed.
 * It involves no timer and no I/O of the simulation, so it does not affect determinism.
 */
function quiesce(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A whole Raft cluster in one process on virtual time: N {@link Replica}s on a
 * {@link ManualClock} (no real timer), an {@link InProcessNetwork} and simulated disks, all
 * driven by one seed, so that every run replays exactly.
 *
 * Nothing happens between calls: time moves only in {@link SimCluster.advance},
 * {@link SimCluster.runUntil} and {@link SimCluster.drive}. Operations that need time (a
 * proposal, a membership change) return promises that settle while the cluster runs, so
 * drive them: `await sim.drive(replica.propose(cmd))`.
 *
 * Faults are calls (`partition`, `setLinkFaults`, `crash`, `pause`, `skew`, `slowDisk`,
 * `addMember`…) or a seeded random schedule ({@link SimCluster.chaos}); every one is counted
 * in {@link SimCluster.stats} and recorded in the {@link SimCluster.trace}.
 */
export class SimCluster<R = unknown> {
  /** The run's seed. */
  readonly seed: number;
  /** The virtual clock. */
  readonly clock = new ManualClock();
  /** The trace of every message, persisted Ready, applied command and fault. */
  readonly trace: Trace;
  /** The simulated network (faults can also be set on it directly; they are then not counted). */
  readonly network: InProcessNetwork;
  /** The cluster's random source; components use RNGs forked from it. */
  readonly rng: SeededRng;
  private readonly members = new Map<number, SimMember<R>>();
  private readonly options: SimClusterOptions<R>;
  private readonly counts = { partitions: 0, oneWayPartitions: 0, linkFaults: 0, crashes: 0, restarts: 0, pauses: 0, skews: 0, slowDisks: 0, membershipChanges: 0 };
  private chaosRun: Chaos<R> | undefined = undefined;

  private constructor(options: SimClusterOptions<R>) {
    this.seed = options.seed;
    this.options = options;
    this.rng = new SeededRng(options.seed);
    this.trace = new Trace(() => this.clock.now(), options.traceLines ?? 2000);
    this.network = new InProcessNetwork({ seed: this.rng.nextUint32(), scheduler: this.clock });
  }

  /** Creates the cluster and starts members 1..`members` as a new cluster (no leader yet: advance time). */
  static async start<R>(options: SimClusterOptions<R>): Promise<SimCluster<R>> {
    const sim = new SimCluster<R>(options);
    const n = options.members ?? 3;
    const peers = Array.from({ length: n }, (_, i) => ({ id: i + 1, address: simAddress(i + 1) }));
    for (const p of peers) await sim.member(p.id).start({ peers });
    return sim;
  }

  /** The command that replays this run: `RAFT_SEED=<seed> npx vitest run <file>`. */
  replayCommand(file: string, testName?: string): string {
    const t = testName === undefined ? '' : ` -t ${JSON.stringify(testName)}`;
    return `RAFT_SEED=${this.seed} npx vitest run ${file}${t}`;
  }

  // ---- controls ----

  /** Runs the cluster for `ms` virtual milliseconds: fires due timers in order, letting async work settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await quiesce();
    while (this.clock.step(target)) await quiesce();
    this.clock.jump(target);
    await quiesce();
  }

  /**
   * Runs the cluster until `predicate()` holds (checked after every event), or fails with
   * {@link SimTimeoutError} after `timeoutMs` of virtual time.
   */
  async runUntil(predicate: () => boolean, options: RunOptions = {}): Promise<void> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 10_000);
    await quiesce();
    while (!predicate()) {
      if (!this.clock.step(deadline)) {
        this.clock.jump(deadline);
        await quiesce();
        if (predicate()) return;
        throw new SimTimeoutError(`seed ${this.seed}: condition not reached by virtual time ${deadline} ms`);
      }
      await quiesce();
    }
  }

  /** Runs the cluster until `promise` settles, and returns its outcome (see {@link SimCluster.runUntil}). */
  async drive<T>(promise: Promise<T>, options: RunOptions = {}): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    await this.runUntil(() => settled, options);
    return watched;
  }

  /** A promise that resolves after `ms` of virtual time (for client think time). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.schedule(resolve, ms));
  }

  /** The running member that leads in the highest term, or `undefined`. */
  leader(): Replica<R> | undefined {
    let best: Replica<R> | undefined;
    let term = -1;
    for (const m of this.members.values()) {
      if (m.state !== 'up' || m.replica === undefined) continue;
      const s = m.replica.status();
      if (s.role === StateType.Leader && s.leader === s.id && s.term > term) {
        best = m.replica;
        term = s.term;
      }
    }
    return best;
  }

  /**
   * Runs until the cluster is quiet: one leader that every running member follows, everything
   * in the leader's log committed, and applied by every running member of its configuration.
   * Heal faults first ({@link SimCluster.heal}) or it may never happen.
   */
  async settle(options: RunOptions = {}): Promise<Replica<R>> {
    let leader: Replica<R> | undefined;
    await this.runUntil(() => {
      leader = this.leader();
      if (leader === undefined) return false;
      const s = leader.status();
      const last = s.progress?.get(s.id)?.match ?? -1;
      if (s.commit !== last || s.applied < s.commit) return false;
      const ids = new Set([...s.config.voters, ...s.config.learners]);
      for (const m of this.members.values()) {
        if (!ids.has(m.id)) continue;
        if (m.state !== 'up' || m.replica === undefined) return false;
        const ms = m.replica.status();
        if (ms.leader !== s.id || ms.applied < s.commit) return false;
      }
      return true;
    }, options);
    return leader!;
  }

  /** The replica of member `id` (the latest run), if it was ever started. */
  replica(id: number): Replica<R> | undefined {
    return this.members.get(id)?.replica;
  }

  /** The state machine of member `id`'s latest run. */
  stateMachine(id: number): StateMachine<R> | undefined {
    return this.members.get(id)?.stateMachine;
  }

  /** The ids of every member ever created, in order. */
  ids(): number[] {
    return [...this.members.keys()];
  }

  /** The ids of the members that are up (running and not paused). */
  up(): number[] {
    return [...this.members.values()].filter((m) => m.state === 'up').map((m) => m.id);
  }

  /** The status of every member. */
  status(): SimMemberStatus[] {
    return [...this.members.values()].map((m) => m.status());
  }

  /** The status of member `id`. */
  memberStatus(id: number): SimMemberStatus | undefined {
    return this.members.get(id)?.status();
  }

  /** The counts of the faults injected so far. */
  stats(): SimStats {
    let lostWrites = 0;
    let slowWrites = 0;
    for (const m of this.members.values()) {
      const d = m.disk.stats();
      lostWrites += d.lostWrites + d.abortedWrites;
      slowWrites += d.slowWrites;
    }
    return { ...this.counts, network: this.network.stats(), lostWrites, slowWrites };
  }

  // ---- faults ----

  /** Cuts the links from every member of `a` to every member of `b` (and back unless `oneWay`). */
  partition(a: readonly number[], b: readonly number[], options: { oneWay?: boolean } = {}): void {
    this.trace.add(`fault partition [${a.join(',')}]${options.oneWay === true ? '->' : '<->'}[${b.join(',')}]`);
    this.counts.partitions++;
    if (options.oneWay === true) this.counts.oneWayPartitions++;
    this.network.partition(a, b, options);
  }

  /** Cuts every link to and from `id`. */
  isolate(id: number): void {
    this.partition([id], this.ids().filter((x) => x !== id));
  }

  /** Sets message faults (loss, duplication, reordering, delay) on every link or one link. */
  setLinkFaults(faults: LinkFaults, link?: { from: number; to: number }): void {
    const d = faults.delayMs;
    const delay = d === undefined ? '0' : typeof d === 'number' ? String(d) : `${d[0]}-${d[1]}`;
    this.trace.add(`fault link ${link === undefined ? '*' : `${link.from}->${link.to}`} drop=${faults.drop ?? 0} dup=${faults.duplicate ?? 0} reorder=${faults.reorder ?? 0} delay=${delay}`);
    this.counts.linkFaults++;
    this.network.setFaults(faults, link);
  }

  /** Removes every partition (message faults stay). */
  healPartitions(): void {
    this.trace.add('fault heal-partitions');
    this.network.heal();
  }

  /** Removes every message fault (partitions stay). */
  clearLinkFaults(): void {
    this.trace.add('fault clear-link-faults');
    this.network.clearFaults();
  }

  /** Removes every partition and message fault. */
  healNetwork(): void {
    this.trace.add('fault heal-network');
    this.network.heal();
    this.network.clearFaults();
  }

  /** Crashes member `id`: its process is gone and its unsynced writes are lost (except the first `keepUnsynced`). */
  async crash(id: number, options: { keepUnsynced?: number } = {}): Promise<void> {
    const m = this.members.get(id);
    if (m === undefined || (m.state !== 'up' && m.state !== 'paused')) return;
    this.counts.crashes++;
    await m.crash(options.keepUnsynced ?? 0);
  }

  /** Restarts a crashed member from its disk, with a fresh state machine. */
  async restart(id: number): Promise<void> {
    const m = this.members.get(id);
    if (m === undefined || m.state !== 'down') return;
    this.counts.restarts++;
    await m.start();
  }

  /** Freezes member `id` (no ticks, no messages in or out) until {@link SimCluster.resume}. */
  pause(id: number): void {
    const m = this.members.get(id);
    if (m?.state !== 'up') return;
    this.counts.pauses++;
    m.pause();
  }

  /** Unfreezes member `id`; messages that arrived meanwhile are delivered. */
  resume(id: number): void {
    this.members.get(id)?.resume();
  }

  /** Sets member `id`'s clock rate: its ticks come every `tickMs × rate` (1 = no skew). */
  skew(id: number, rate: number): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    if (rate !== 1) this.counts.skews++;
    m.skew(rate);
  }

  /** Gives member `id`'s disk a write latency in virtual ms (0 for a fast disk again). */
  slowDisk(id: number, latencyMs: number | readonly [number, number]): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    const text = typeof latencyMs === 'number' ? String(latencyMs) : `${latencyMs[0]}-${latencyMs[1]}`;
    this.trace.add(`fault slow-disk ${id} ${text}`);
    if (latencyMs !== 0) this.counts.slowDisks++;
    m.disk.latencyMs = latencyMs;
  }

  /**
   * Adds member `id` through the current leader (as a learner with `learner: true`) and starts
   * it with an empty disk. Rejects as `Replica.addMember` does, or when there is no leader.
   */
  async addMember(id: number, options: { learner?: boolean } = {}): Promise<void> {
    const leader = this.membershipChange('add', id, options.learner === true ? ' learner' : '');
    const m = this.member(id);
    if (m.state === 'down' && m.incarnation === 0) {
      const join = [...leader.status().members].map(([pid, address]) => ({ id: pid, address }));
      await m.start({ join });
    }
    await leader.addMember(id, simAddress(id), options);
  }

  /** Promotes learner `id` through the current leader. */
  async promoteMember(id: number): Promise<void> {
    await this.membershipChange('promote', id).promoteMember(id);
  }

  /** Removes member `id` through the current leader (it stops once it applies the change). */
  async removeMember(id: number): Promise<void> {
    await this.membershipChange('remove', id).removeMember(id);
  }

  /** The current leader to make membership change `what` through, counted and traced; throws if there is none. */
  private membershipChange(what: 'add' | 'promote' | 'remove', id: number, note = ''): Replica<R> {
    const leader = this.leader();
    if (leader === undefined) throw new SimTimeoutError(`seed ${this.seed}: no leader to ${what} member ${id}`);
    this.counts.membershipChanges++;
    this.trace.add(`fault ${what}-member ${id}${note}`);
    return leader;
  }

  /** Starts a seeded random fault schedule on virtual time (see {@link ChaosOptions}); stops the previous one. */
  chaos(options: ChaosOptions = {}): Chaos<R> {
    this.chaosRun?.stop();
    this.chaosRun = new Chaos(this, new SeededRng(this.rng.nextUint32()), options);
    return this.chaosRun;
  }

  /**
   * Ends every fault: stops the chaos schedule, heals the network, resumes paused members,
   * resets clock rates and disk latencies, and restarts crashed members.
   */
  async heal(): Promise<void> {
    this.chaosRun?.stop();
    this.healNetwork();
    for (const m of this.members.values()) {
      m.resume();
      if (m.clockRate !== 1) m.skew(1);
      m.disk.latencyMs = 0;
    }
    for (const m of this.members.values()) if (m.state === 'down' && m.incarnation > 0) await this.restart(m.id);
  }

  /** Stops every running replica and the network (the end of a test). */
  async close(): Promise<void> {
    this.chaosRun?.stop();
    const stops: Promise<void>[] = [];
    for (const m of this.members.values()) {
      m.resume();
      if (m.state === 'up' && m.replica !== undefined) stops.push(m.replica.stop());
    }
    await this.drive(Promise.all(stops), { timeoutMs: 60_000 });
    this.network.close();
  }

  private member(id: number): SimMember<R> {
    let m = this.members.get(id);
    if (m === undefined) {
      const ctx = { clock: this.clock, network: this.network, trace: this.trace, stateMachine: this.options.stateMachine, replica: this.options.replica ?? {} };
      m = new SimMember<R>(id, new SeededRng(this.rng.nextUint32()), ctx);
      this.members.set(id, m);
    }
    return m;
  }
}
