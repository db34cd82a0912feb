import type { SeededRng } from '../../raft/rng.js';
import type { SimCluster } from './cluster.js';

/** A range of virtual milliseconds `[min, max]`, drawn uniformly. */
export type MsRange = readonly [number, number];

/**
 * Options of {@link SimCluster.chaos}: how often faults start, how long they last, and the
 * relative weight of each kind (0 disables a kind). All draws come from the cluster's seed.
 */
export interface ChaosOptions {
  /** Time between two fault events. Default `[50, 400]`. */
  intervalMs?: MsRange;
  /** How long a fault lasts before it is undone. Default `[100, 1500]`. */
  durationMs?: MsRange;
  /** Weight of partitions (a random split of the members; one-way with probability 0.3). Default 3. */
  partition?: number;
  /** Weight of message faults: loss, duplication, reordering and delay on every link or one link. Default 3. */
  messages?: number;
  /** Weight of crashes (with a restart after the fault's duration). Default 2. */
  crash?: number;
  /** Weight of pauses. Default 1. */
  pause?: number;
  /** Weight of clock skew (a member's tick interval scaled by 0.5–2). Default 1. */
  skew?: number;
  /** Weight of slow disks (1–40 ms per write). Default 1. */
  slowDisk?: number;
  /** Weight of membership changes (add a spare as a learner, promote it, remove a voter). Default 0. */
  membership?: number;
  /** Ids that membership changes may add (never reused once removed). Default none. */
  spares?: readonly number[];
  /** The fewest voters membership changes leave. Default 3. */
  minVoters?: number;
  /** The most members crashed or paused at once. Default: a minority of the initial members. */
  maxDown?: number;
}

/** Counts of what a {@link Chaos} schedule did, by fault kind. */
export interface ChaosCounts {
  /** Partitions started. */
  partition: number;
  /** Message fault settings started. */
  messages: number;
  /** Crashes. */
  crash: number;
  /** Pauses. */
  pause: number;
  /** Clock skews. */
  skew: number;
  /** Slow disk episodes. */
  slowDisk: number;
  /** Membership changes attempted. */
  membership: number;
  /** Membership changes that completed. */
  membershipDone: number;
}

type Kind = 'partition' | 'messages' | 'crash' | 'pause' | 'skew' | 'slowDisk' | 'membership';
const KINDS: readonly Kind[] = ['partition', 'messages', 'crash', 'pause', 'skew', 'slowDisk', 'membership'];
const DEFAULT_WEIGHTS: Record<Kind, number> = { partition: 3, messages: 3, crash: 2, pause: 1, skew: 1, slowDisk: 1, membership: 0 };

/**
 * A seeded random fault schedule running on a {@link SimCluster}'s virtual clock. Every
 * `intervalMs` it picks a fault kind by weight, applies it to random members, and schedules
 * its undoing after `durationMs`. Stop it with {@link Chaos.stop} (or `SimCluster.heal`).
 */
export class Chaos<R> {
  /** What the schedule did so far. */
  readonly counts: ChaosCounts = { partition: 0, messages: 0, crash: 0, pause: 0, skew: 0, slowDisk: 0, membership: 0, membershipDone: 0 };
  private readonly sim: SimCluster<R>;
  private readonly rng: SeededRng;
  private readonly o: Required<Omit<ChaosOptions, 'spares' | 'maxDown'>> & { spares: number[]; maxDown: number };
  private readonly weights: [Kind, number][];
  private readonly total: number;
  private stopped = false;
  private cancel: () => void = () => undefined;
  private down = 0;

  /**
   * Use {@link SimCluster.chaos}.
   *
   * @internal
   */
  constructor(sim: SimCluster<R>, rng: SeededRng, options: ChaosOptions) {
    this.sim = sim;
    this.rng = rng;
    const initial = sim.ids().length;
    this.o = {
      intervalMs: options.intervalMs ?? [50, 400],
      durationMs: options.durationMs ?? [100, 1500],
      minVoters: options.minVoters ?? 3,
      spares: [...(options.spares ?? [])],
      maxDown: options.maxDown ?? Math.floor((initial - 1) / 2),
      ...Object.fromEntries(KINDS.map((k) => [k, options[k] ?? DEFAULT_WEIGHTS[k]])),
    } as Chaos<R>['o'];
    this.weights = KINDS.map((k) => [k, this.o[k]]);
    this.total = this.weights.reduce((s, [, w]) => s + w, 0);
    this.next();
  }

  /** Stops starting faults; faults in progress are still undone on schedule. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private between([lo, hi]: MsRange): number {
    return lo + this.rng.nextInt(Math.max(1, hi - lo + 1));
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.rng.nextInt(items.length)];
  }

  private later(fn: () => void | Promise<void>): void {
    this.sim.clock.schedule(() => void fn(), this.between(this.o.durationMs));
  }

  private next(): void {
    if (this.stopped || this.total <= 0) return;
    this.cancel = this.sim.clock.schedule(() => {
      if (this.stopped) return;
      void this.fire();
      this.next();
    }, this.between(this.o.intervalMs));
  }

  private async fire(): Promise<void> {
    let x = this.rng.nextFloat() * this.total;
    let kind: Kind = 'partition';
    for (const [k, w] of this.weights) {
      kind = k;
      if (x < w) break;
      x -= w;
    }
    switch (kind) {
      case 'partition':
        return this.partition();
      case 'messages':
        return this.messages();
      case 'crash':
        return this.crash();
      case 'pause':
        return this.pause();
      case 'skew':
        return this.skew();
      case 'slowDisk':
        return this.slowDisk();
      case 'membership':
        return this.membership();
    }
  }

  private partition(): void {
    const ids = this.sim.ids();
    const a = ids.filter(() => this.rng.nextFloat() < 0.5);
    const b = ids.filter((id) => !a.includes(id));
    if (a.length === 0 || b.length === 0) return;
    const oneWay = this.rng.nextFloat() < 0.3;
    this.counts.partition++;
    this.sim.partition(a, b, { oneWay });
    this.later(() => this.sim.healPartitions());
  }

  private messages(): void {
    const r = (max: number): number => Math.round(this.rng.nextFloat() * max * 100) / 100;
    // Half the time without delay: frames sent in one turn are then delivered together, and
    // `reorder` swaps neighbours; with a random delay, frames overtake one another anyway.
    const delayed = this.rng.nextFloat() < 0.5;
    const base = { drop: r(0.3), duplicate: r(0.2), reorder: r(0.3) };
    const faults = delayed ? { ...base, delayMs: [0, this.between([1, 60])] as const } : base;
    const ids = this.sim.ids();
    const oneLink = this.rng.nextFloat() < 0.3;
    const from = this.pick(ids)!;
    const to = this.pick(ids.filter((id) => id !== from));
    this.counts.messages++;
    if (oneLink && to !== undefined) this.sim.setLinkFaults(faults, { from, to });
    else this.sim.setLinkFaults(faults);
    this.later(() => this.sim.clearLinkFaults());
  }

  private async crash(): Promise<void> {
    if (this.down >= this.o.maxDown) return;
    const id = this.pick(this.sim.up());
    if (id === undefined) return;
    const unsynced = this.sim.memberStatus(id)?.disk;
    const keep = unsynced === undefined ? 0 : this.rng.nextInt(2) === 0 ? 0 : this.rng.nextInt(4);
    this.counts.crash++;
    this.down++;
    await this.sim.crash(id, { keepUnsynced: keep });
    this.later(async () => {
      this.down--;
      await this.sim.restart(id);
    });
  }

  private pause(): void {
    if (this.down >= this.o.maxDown) return;
    const id = this.pick(this.sim.up());
    if (id === undefined) return;
    this.counts.pause++;
    this.down++;
    this.sim.pause(id);
    this.later(() => {
      this.down--;
      this.sim.resume(id);
    });
  }

  private skew(): void {
    const id = this.pick(this.sim.up());
    if (id === undefined) return;
    const rate = [0.5, 0.75, 1.25, 1.5, 2][this.rng.nextInt(5)]!;
    this.counts.skew++;
    this.sim.skew(id, rate);
    this.later(() => this.sim.skew(id, 1));
  }

  private slowDisk(): void {
    const id = this.pick(this.sim.ids());
    if (id === undefined) return;
    this.counts.slowDisk++;
    this.sim.slowDisk(id, [1, this.between([2, 40])]);
    this.later(() => this.sim.slowDisk(id, 0));
  }

  private async membership(): Promise<void> {
    const leader = this.sim.leader();
    if (leader === undefined) return;
    const cfg = leader.status().config;
    const learner = cfg.learners[0];
    let change: Promise<void> | undefined;
    if (learner !== undefined) change = this.sim.promoteMember(learner);
    else if (cfg.voters.length > this.o.minVoters) {
      const victim = this.pick(cfg.voters.filter((v) => v !== leader.id));
      if (victim !== undefined) change = this.sim.removeMember(victim);
    } else {
      const spare = this.o.spares.shift();
      if (spare !== undefined) change = this.sim.addMember(spare, { learner: true });
    }
    if (change === undefined) return;
    this.counts.membership++;
    try {
      await change;
      this.counts.membershipDone++;
    } catch {
      // Refused, timed out or no leader: the schedule tries again later.
    }
  }
}
