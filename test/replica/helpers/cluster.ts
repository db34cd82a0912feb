import { MemoryStorage } from '../../../src/raft/log-storage.js';
import { StateType } from '../../../src/raft/ready.js';
import { Replica } from '../../../src/replica/replica.js';
import type { ReplicaEvents } from '../../../src/replica/events.js';
import type { ReplicaOptions } from '../../../src/replica/options.js';
import type { Command, StateMachine, StateMachineSnapshot } from '../../../src/replica/state-machine.js';
import type { PeerAddress } from '../../../src/replica/membership.js';
import type { Message } from '../../../src/raft/messages.js';
import { InProcessNetwork, type InProcessNetworkOptions, type InProcessTransportOptions } from '../../../src/transport/in-process.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a `key=value` command for {@link KvMachine}. */
export function set(key: string, value: string): Uint8Array {
  return enc.encode(`${key}=${value}`);
}

/**
 * A tiny in-memory KV state machine. It models a durable one: the object outlives a replica
 * restart, and `appliedIndex()` returns the index stored with the state. It counts how often
 * each index was applied (to catch double applies) and can be stalled.
 */
export class KvMachine implements StateMachine<number> {
  data = new Map<string, string>();
  applied = 0;
  readonly applyCounts = new Map<number, number>();
  restores = 0;
  /** While set, `apply` waits for it. */
  gate: Promise<void> | undefined = undefined;
  applyCalls = 0;

  appliedIndex(): number {
    return this.applied;
  }

  async apply(commands: readonly Command[]): Promise<number[]> {
    this.applyCalls++;
    if (this.gate !== undefined) await this.gate;
    return commands.map((c) => {
      const [k, v] = dec.decode(c.data).split('=');
      this.data.set(k!, v!);
      this.applyCounts.set(c.index, (this.applyCounts.get(c.index) ?? 0) + 1);
      this.applied = c.index;
      return c.index;
    });
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }

  restore(s: StateMachineSnapshot): void | Promise<void> {
    this.restores++;
    this.data = new Map(JSON.parse(dec.decode(s.data)) as [string, string][]);
    this.applied = s.index;
  }
}

/**
 * A {@link KvMachine} snapshotted by reference (`persist` and `captureSnapshot`, see
 * `state-machine.ts`): its state is taken as durable (the object outlives restarts), so the
 * replica's snapshots hold no state bytes; its state is captured only to be sent.
 */
export class ByRefKvMachine extends KvMachine {
  /** The applied index of the latest `persist` call. */
  persisted = 0;
  /** `captureSnapshot` calls (a snapshot by reference captured to be sent). */
  captures = 0;

  persist(): number {
    return (this.persisted = this.applied);
  }

  /** The state now, as `snapshot()` bytes in one chunk. */
  captureSnapshot(): AsyncIterable<Uint8Array> {
    this.captures++;
    const bytes = this.snapshot();
    return (async function* () {
      yield await Promise.resolve(bytes);
    })();
  }
}

/** The sum of the values of metric `name` on `replica` whose labels include `labels` (0 when it has none). */
export async function metricSum(replica: Replica<number>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await replica.metricsJSON())[name]?.values ?? [];
  return values.filter((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)).reduce((sum, v) => sum + v.value, 0);
}

/**
 * Polls `cond` every few milliseconds until it holds, failing after `timeoutMs`. Only for
 * conditions no event signals (reachability, lifecycle, a metric); otherwise use {@link waitUntil}.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!(await cond())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Resolves once `cond()` holds, checking it now and after every `events` emitted by any of
 * `replicas` (no polling); rejects after `timeoutMs` of real time.
 */
export function waitUntil(
  replicas: readonly Replica<number>[],
  events: readonly (keyof ReplicaEvents)[],
  cond: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!cond()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      for (const r of replicas) for (const e of events) r.off(e, check);
    };
    for (const r of replicas) for (const e of events) r.on(e, check);
  });
}

/** The in-process address of member `id`. */
export const addr = (id: number): string => `inproc://${id}`;

/** Options every test replica gets (10 ms ticks). */
export type TestOptions = Partial<Omit<ReplicaOptions<number>, 'id' | 'storage' | 'transport' | 'stateMachine'>>;

/** A set of replicas on one InProcessNetwork, with storages and state machines that survive restarts. */
export class Cluster {
  readonly network: InProcessNetwork;
  readonly storages = new Map<number, MemoryStorage>();
  readonly machines = new Map<number, KvMachine>();
  readonly replicas = new Map<number, Replica<number>>();
  private readonly defaults: TestOptions;
  /** The kind of state machine a member gets when it has none: {@link ByRefKvMachine} when set. */
  byReference = false;
  /** Options of the transports created from now on (for example a small `maxFrameSize`). */
  transportOptions: InProcessTransportOptions = {};

  constructor(defaults: TestOptions = {}, network: InProcessNetworkOptions = {}) {
    this.defaults = defaults;
    this.network = new InProcessNetwork(network);
  }

  /** Starts `ids` as a new cluster and waits for a leader. */
  static async create(ids: number[], defaults: TestOptions = {}, transportOptions: InProcessTransportOptions = {}, byReference = false): Promise<Cluster> {
    const c = new Cluster(defaults);
    c.transportOptions = transportOptions;
    c.byReference = byReference;
    const peers = ids.map((id) => ({ id, address: addr(id) }));
    await Promise.all(ids.map((id) => c.start(id, { peers })));
    await c.waitLeader();
    return c;
  }

  /** Starts (or restarts) member `id` on its storage and state machine. */
  async start(id: number, extra: TestOptions & { peers?: readonly PeerAddress[]; join?: readonly PeerAddress[] } = {}): Promise<Replica<number>> {
    let storage = this.storages.get(id);
    if (storage === undefined) this.storages.set(id, (storage = new MemoryStorage()));
    let sm = this.machines.get(id);
    if (sm === undefined) this.machines.set(id, (sm = this.byReference ? new ByRefKvMachine() : new KvMachine()));
    const r = await Replica.start<number>({
      tickMs: 10,
      electionTick: 10,
      heartbeatTick: 1,
      seed: id,
      ...this.defaults,
      ...extra,
      id,
      storage,
      transport: this.network.transport(id, this.transportOptions),
      stateMachine: sm,
    });
    this.replicas.set(id, r);
    return r;
  }

  /** Starts member 1 alone, a one-member cluster (with `sm` as its state machine, if given), and waits until it leads. */
  async startAlone(sm?: KvMachine): Promise<Replica<number>> {
    if (sm !== undefined) this.machines.set(1, sm);
    const r = await this.start(1, { peers: [{ id: 1, address: addr(1) }] });
    await this.waitLeader();
    return r;
  }

  /** Stops member `id` (its storage and state machine are kept for a restart). */
  async stop(id: number): Promise<void> {
    await this.replicas.get(id)?.stop();
    this.replicas.delete(id);
  }

  /** The running replicas. */
  running(): Replica<number>[] {
    return [...this.replicas.values()].filter((r) => r.lifecycle === 'open');
  }

  /** Waits until every running replica agrees on one running leader, and returns it. */
  async waitLeader(except = 0): Promise<Replica<number>> {
    let leader: Replica<number> | undefined;
    await waitUntil(this.running(), ['leader-change', 'role-change'], () => {
      const rs = this.running();
      leader = rs.find((r) => r.id !== except && r.status().role === StateType.Leader);
      return leader !== undefined && rs.every((r) => r.status().leader === leader!.id);
    }, 'a leader');
    return leader!;
  }

  /** Waits until every running replica has applied at least `index`. */
  async waitApplied(index: number, ids = [...this.replicas.keys()]): Promise<void> {
    const rs = ids.map((id) => this.replicas.get(id)).filter((r) => r !== undefined);
    await waitUntil(rs, ['applied'], () => ids.every((id) => (this.replicas.get(id)?.status().applied ?? 0) >= index), `applied ${index} on ${ids.join(',')}`);
  }

  /**
   * Stops one follower, then has the leader apply `n` commands `k<i>=<i>` (snapshotting as its
   * options say); returns the leader, the stopped member's id and the indexes of the snapshots created.
   */
  async leaveOneBehind(n: number): Promise<{ leader: Replica<number>; lagging: number; created: number[] }> {
    const leader = await this.waitLeader();
    const lagging = this.running().find((r) => r.id !== leader.id)!.id;
    await this.stop(lagging);
    const created: number[] = [];
    leader.on('snapshot', (kind, index) => kind === 'created' && created.push(index));
    for (let i = 0; i < n; i++) await leader.propose(set(`k${i}`, String(i)));
    return { leader, lagging, created };
  }

  /** Stops everything. */
  async close(): Promise<void> {
    await Promise.all([...this.replicas.values()].map((r) => r.stop()));
    this.network.close();
  }
}

/**
 * Starts members 1, 2 and 3 as a new cluster whose transports show `seen` each batch of
 * messages a member hands them (with the member's id) before sending it; waits for a leader.
 */
export async function clusterWatchingSends(seen: (id: number, messages: readonly Message[]) => void, defaults: TestOptions = { electionTick: 50, heartbeatTick: 25 }): Promise<Cluster> {
  const c = new Cluster(defaults);
  const transport = c.network.transport.bind(c.network);
  c.network.transport = (id, options) => {
    const t = transport(id, options);
    const send = t.send.bind(t);
    t.send = (messages: readonly Message[]): void => {
      seen(id, messages);
      send(messages);
    };
    return t;
  };
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  await Promise.all([1, 2, 3].map((id) => c.start(id, { peers })));
  await c.waitLeader();
  return c;
}
