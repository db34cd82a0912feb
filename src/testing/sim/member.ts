import { SeededRng } from '../../raft/rng.js';
import type { ReplicaOptions, ReplicaStatus } from '../../replica/options.js';
import { Replica } from '../../replica/replica.js';
import type { Command, StateMachine, StateMachineSnapshot } from '../../replica/state-machine.js';
import type { PeerAddress } from '../../replica/membership.js';
import type { InProcessNetwork } from '../../transport/in-process.js';
import { MemberClock, type ManualClock } from './manual-clock.js';
import { SimDisk, type SimDiskStats } from './sim-storage.js';
import { SimTransport } from './sim-transport.js';
import type { Trace } from './trace.js';

/**
 * Where a simulated member is: `'up'` (running), `'paused'` (running but frozen), `'down'`
 * (crashed, waiting for a restart) or `'removed'` (removed from the cluster and stopped).
 */
export type SimMemberState = 'up' | 'paused' | 'down' | 'removed';

/** One member's state in {@link SimCluster.status}. */
export interface SimMemberStatus {
  /** The member's id. */
  id: number;
  /** Whether it runs, is paused, crashed or was removed. */
  state: SimMemberState;
  /** How many times it was started (1 + restarts). */
  incarnation: number;
  /** Its clock rate: the factor applied to its tick interval (1 = no skew). */
  clockRate: number;
  /** The counters of its disk. */
  disk: SimDiskStats;
  /** The replica's own status while it runs or is paused. */
  replica?: ReplicaStatus;
}

/** Replica options a simulation passes through (everything but what the simulation provides). */
export type SimReplicaOptions = Partial<
  Omit<ReplicaOptions<unknown>, 'id' | 'peers' | 'join' | 'storage' | 'transport' | 'stateMachine' | 'clock' | 'incarnation' | 'seed' | 'rng'>
>;

/** What a {@link SimMember} shares with the rest of the simulation. */
export interface SimMemberContext<R> {
  /** The shared virtual clock. */
  clock: ManualClock;
  /** The simulated network. */
  network: InProcessNetwork;
  /** The trace every member writes to. */
  trace: Trace;
  /** Creates a fresh state machine for a member at each (re)start. */
  stateMachine: (id: number) => StateMachine<R>;
  /** Options for every replica. */
  replica: SimReplicaOptions;
}

/** The in-process address of member `id`. */
export function simAddress(id: number): string {
  return `inproc://${id}`;
}

/**
 * One simulated member: its disk (which outlives crashes), and while it runs, its replica,
 * clock view, transport and state machine. A crash abandons the running replica at once
 * (timers cancelled, endpoint closed, unsynced writes lost); a restart builds a new one on
 * the same disk with a fresh state machine from the factory.
 */
export class SimMember<R> {
  /** The member's id. */
  readonly id: number;
  /** The member's disk. */
  readonly disk: SimDisk;
  /** Whether it runs, is paused, crashed or was removed. */
  state: SimMemberState = 'down';
  /** How many times it was started. */
  incarnation = 0;
  /** The running replica (the latest one, also while down). */
  replica: Replica<R> | undefined = undefined;
  /** The state machine of the running replica. */
  stateMachine: StateMachine<R> | undefined = undefined;
  /** The clock rate applied to the next and current runs. */
  clockRate = 1;
  private clock: MemberClock | undefined = undefined;
  /** How the member was first started: a restart on a disk that is still empty needs it again. */
  private init: { peers?: readonly PeerAddress[]; join?: readonly PeerAddress[] } = {};
  private transport: SimTransport | undefined = undefined;
  private readonly rng: SeededRng;
  private readonly ctx: SimMemberContext<R>;

  /**
   * @param id - the member id.
   * @param rng - the member's own random source (forked from the cluster's).
   * @param ctx - what the simulation shares.
   */
  constructor(id: number, rng: SeededRng, ctx: SimMemberContext<R>) {
    this.id = id;
    this.rng = rng;
    this.ctx = ctx;
    this.disk = new SimDisk(new SeededRng(rng.nextUint32()));
    this.disk.observer = (line) => ctx.trace.add(`${id} ${line}`);
  }

  /**
   * Starts the member; `peers` for a new cluster, `join` for a new member. A restart reuses
   * the first start's `peers` or `join` (used only while the disk is still empty).
   */
  async start(first?: { peers?: readonly PeerAddress[]; join?: readonly PeerAddress[] }): Promise<Replica<R>> {
    if (first !== undefined) this.init = first;
    const init = this.init;
    const { clock, network, trace } = this.ctx;
    this.incarnation++;
    const memberClock = new MemberClock(clock);
    memberClock.rate = this.clockRate;
    const transport = new SimTransport(network.transport(this.id), trace);
    const sm = this.ctx.stateMachine(this.id);
    this.clock = memberClock;
    this.transport = transport;
    this.stateMachine = sm;
    trace.add(`${this.id} start #${this.incarnation}`);
    const options: ReplicaOptions<R> = {
      tickMs: 10,
      electionTick: 10,
      heartbeatTick: 1,
      ...this.ctx.replica,
      ...init,
      id: this.id,
      storage: this.disk.open(clock),
      transport,
      stateMachine: traced(this.id, sm, trace),
      clock: memberClock,
      incarnation: this.incarnation,
      seed: this.rng.nextUint32(),
    };
    const r = await Replica.start<R>(options);
    this.replica = r;
    this.state = 'up';
    const id = this.id;
    r.on('role-change', (role) => trace.add(`${id} role ${role}`));
    r.on('leader-change', (lead, term) => trace.add(`${id} leader ${lead} term ${term}`));
    r.on('snapshot', (kind, index) => trace.add(`${id} snapshot ${kind} ${index}`));
    r.on('member-added', (m, _a, learner) => trace.add(`${id} member-added ${m}${learner ? ' learner' : ''}`));
    r.on('member-removed', (m) => {
      trace.add(`${id} member-removed ${m}`);
      if (m === id && this.replica === r) this.state = 'removed';
    });
    r.on('error', (err) => trace.add(`${id} error ${err.message}`));
    return r;
  }

  /** Crashes the member: abandons its replica and loses the unsynced writes (keeping `keepUnsynced`). */
  async crash(keepUnsynced = 0): Promise<void> {
    if (this.state !== 'up' && this.state !== 'paused') return;
    this.ctx.trace.add(`${this.id} crash keep=${keepUnsynced}`);
    this.state = 'down';
    this.clock?.kill();
    this.disk.crash(keepUnsynced);
    await this.transport?.kill();
  }

  /** Freezes the member: no ticks, nothing in or out (see {@link SimTransport}). */
  pause(): void {
    if (this.state !== 'up') return;
    this.ctx.trace.add(`${this.id} pause`);
    this.state = 'paused';
    this.clock?.pause();
    this.transport?.pause();
  }

  /** Unfreezes a paused member. */
  resume(): void {
    if (this.state !== 'paused') return;
    this.ctx.trace.add(`${this.id} resume`);
    this.state = 'up';
    this.clock?.resume();
    this.transport?.resume();
  }

  /** Sets the member's clock rate (see {@link MemberClock.rate}). */
  skew(rate: number): void {
    this.ctx.trace.add(`${this.id} skew ${rate}`);
    this.clockRate = rate;
    if (this.clock !== undefined) this.clock.rate = rate;
  }

  /** The member's status. */
  status(): SimMemberStatus {
    const st: SimMemberStatus = { id: this.id, state: this.state, incarnation: this.incarnation, clockRate: this.clockRate, disk: this.disk.stats() };
    if ((this.state === 'up' || this.state === 'paused') && this.replica !== undefined) st.replica = this.replica.status();
    return st;
  }
}

/**
 * Wraps a state machine so that applies and restores are traced. The wrapper is a proxy of
 * the state machine itself (so `replica.stateMachine instanceof KvStateMachine` still holds and
 * its other methods reach it), which hands snapshots over in one buffer, as the simulated disk
 * and network do.
 */
function traced<R>(id: number, sm: StateMachine<R>, trace: Trace): StateMachine<R> {
  const overrides: Partial<Record<PropertyKey, unknown>> = {
    apply: (commands: readonly Command[]) => {
      const first = commands[0];
      const last = commands[commands.length - 1];
      if (first !== undefined && last !== undefined) trace.add(`${id} apply ${first.index}..${last.index}`);
      return sm.apply(commands);
    },
    restore: (s: StateMachineSnapshot) => {
      trace.add(`${id} restore ${s.term}/${s.index}`);
      return sm.restore(s);
    },
    snapshotChunks: undefined,
    restoreChunks: undefined,
  };
  return new Proxy(sm, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop];
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    has(target, prop) {
      return Object.hasOwn(overrides, prop) ? overrides[prop] !== undefined : Reflect.has(target, prop);
    },
  });
}
