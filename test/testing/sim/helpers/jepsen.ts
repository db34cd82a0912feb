import type { SeededRng } from '../../../../src/raft/rng.js';
import { SimCluster } from '../../../../src/testing/sim/cluster.js';
import type { SimStats } from '../../../../src/testing/sim/stats.js';
import type { ChaosCounts, ChaosOptions } from '../../../../src/testing/sim/chaos.js';
import { runWorkload, type WorkloadCounts, type WorkloadOperation } from '../../../../src/testing/sim/workload.js';
import {
  checkLinearizable,
  kvModel,
  registerModel,
  type CheckResult,
  type KvInput,
  type KvOutput,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from '../../../../src/testing/index.js';
import { encodeCommand, kvMachine, registerMachine, type JsonMachine, type MachineDisk } from './machines.js';

/** Which state machine a run uses. */
export type JepsenKind = 'register' | 'kv';

/** Options of one Jepsen-style run. */
export interface JepsenOptions {
  kind: JepsenKind;
  members: 3 | 5;
  /**
   * State machines with a durable disk of their own, snapshotted by reference (see
   * `DurableJsonMachine`): a restart keeps what the machine wrote, a lagging member gets the
   * state captured when it is sent. Default: in-memory machines rebuilt from snapshots.
   */
  byReference?: boolean;
  seed: number;
  ops: number;
  clients?: number;
  chaos?: ChaosOptions;
  /** Receives a line per completed read and, when the cluster does not settle, its members' status and the trace's last 300 lines (for debugging a failing seed). */
  debug?: (line: string) => void;
  /** Trace lines to keep. */
  traceLines?: number;
}

/** What one run produced. */
export interface JepsenResult {
  seed: number;
  check: CheckResult<unknown, unknown>;
  /** The recorded client history (register or KV operations, by `kind`). */
  history: readonly Operation<unknown, unknown>[];
  /** Acknowledged writes missing on a member at the end: `member:opId`. */
  missing: string[];
  /** Members whose final state differs from the leader's. */
  diverged: number[];
  /** Commands a final member's state machine received twice (the Replica should deliver none). */
  duplicates: number;
  /**
   * Commands the final members' replicas dropped as duplicates (`raft_proposals_duplicate_total`,
   * the most of any member; counted since each replica's latest start).
   */
  droppedDuplicates: number;
  /**
   * Leadership requests the final members sent to bring back a lagging voter
   * (`raft_lagging_voter_rescues_total`, summed; counted since each replica's latest start).
   */
  rescues: number;
  counts: WorkloadCounts;
  stats: SimStats;
  chaos: ChaosCounts;
  traceHash: string;
  traceTail: string;
  virtualMs: number;
}

type AnyMachine = JsonMachine<unknown, unknown, unknown>;

function registerOp(rng: SeededRng, next: () => string, seen: (string | null)[]): WorkloadOperation<RegisterInput> {
  const x = rng.nextFloat();
  if (x < 0.4) return { op: 'read', input: { op: 'read' }, readOnly: true };
  const value = next();
  if (x < 0.75) return { op: 'write', input: { op: 'write', value } };
  const expected = seen[rng.nextInt(seen.length)] ?? null;
  return { op: 'cas', input: { op: 'cas', expected, value } };
}

const KEYS = ['a', 'b', 'c'];

function kvOp(rng: SeededRng, next: () => string, seen: (string | null)[]): WorkloadOperation<KvInput> {
  const key = KEYS[rng.nextInt(KEYS.length)]!;
  const x = rng.nextFloat();
  if (x < 0.4) return { op: 'get', input: { op: 'get', key }, readOnly: true };
  if (x < 0.5) return { op: 'delete', input: { op: 'delete', key } };
  const value = next();
  if (x < 0.8) return { op: 'put', input: { op: 'put', key, value } };
  const expected = seen[rng.nextInt(seen.length)] ?? null;
  return { op: 'cas', input: { op: 'cas', key, expected, value } };
}

function isWrite(input: RegisterInput | KvInput): boolean {
  return input.op !== 'read' && input.op !== 'get';
}

/** The id a write carries: its unique value, or for a delete its own id. */
const opIds = new WeakMap<object, string>();

/**
 * One Jepsen-style run: a cluster of `members` under a random fault schedule, `ops` client
 * operations on a register or a single-key KV store, then heal, settle, and check the history
 * for linearizability and every member for every acknowledged write.
 */
export async function jepsenRun(o: JepsenOptions): Promise<JepsenResult> {
  const machines = new Map<number, AnyMachine>();
  const disks = new Map<number, MachineDisk>();
  const sim = await SimCluster.start<unknown>({
    seed: o.seed,
    members: o.members,
    stateMachine: (id) => {
      let disk = disks.get(id);
      if (o.byReference === true && disk === undefined) disks.set(id, (disk = { saved: undefined }));
      const m = (o.kind === 'register' ? registerMachine(disk) : kvMachine(disk)) as unknown as AnyMachine;
      machines.set(id, m);
      return m;
    },
    replica: { snapshotEvery: 20, compactionTail: 4, requestTimeoutMs: 800 },
    ...(o.traceLines === undefined ? {} : { traceLines: o.traceLines }),
  });
  await sim.runUntil(() => sim.leader() !== undefined, { timeoutMs: 5000 });
  const chaos = sim.chaos({ membership: 1, spares: [o.members + 1, o.members + 2], ...o.chaos });
  let counter = 0;
  const seen: (string | null)[] = [null];
  const { recorder, counts } = await runWorkload<RegisterInput | KvInput, RegisterOutput | KvOutput, unknown>(sim, {
    ops: o.ops,
    clients: o.clients ?? 4,
    timeoutMs: 800,
    generate: (rng, client) => {
      const next = (): string => {
        const v = `${client}.${counter++}`;
        seen.push(v);
        return v;
      };
      const op = o.kind === 'register' ? registerOp(rng, next, seen) : kvOp(rng, next, seen);
      opIds.set(op.input, `${client}.${counter++}`);
      return op;
    },
    execute: async (replica, input, ctx) => {
      if (!isWrite(input)) {
        const sm = machines.get(ctx.id)!;
        const index = await replica.read({ timeoutMs: ctx.timeoutMs });
        const [, out] = stepRead(sm, input);
        o.debug?.(`read on ${ctx.id} index=${index} smApplied=${sm.applied} status=${JSON.stringify({ ...replica.status(), members: undefined, progress: undefined })} -> ${JSON.stringify(out)} state=${JSON.stringify(sm.state)} ids=${[...sm.ids].slice(-12).join(",")}`);
        return out;
      }
      return (await replica.propose(encodeCommand(opIds.get(input)!, input), { timeoutMs: ctx.timeoutMs })) as RegisterOutput | KvOutput;
    },
  });
  await sim.heal();
  let leader;
  try {
    leader = await sim.settle({ timeoutMs: 30_000 });
  } catch (err) {
    o.debug?.(JSON.stringify(sim.status().map((m) => ({ ...m, replica: m.replica && { ...m.replica, members: undefined, progress: m.replica.progress && [...m.replica.progress] } })), null, 1));
    o.debug?.(sim.trace.lines().slice(-300).join("\n"));
    throw err;
  }
  const history = recorder.history();
  const check =
    o.kind === 'register'
      ? checkLinearizable(history as Operation<RegisterInput, RegisterOutput>[], registerModel(), { maxSteps: 5_000_000 })
      : checkLinearizable(history as Operation<KvInput, KvOutput>[], kvModel(), { maxSteps: 5_000_000 });
  const cfg = leader.status().config;
  const finalIds = [...cfg.voters, ...cfg.learners];
  const missing: string[] = [];
  let duplicates = 0;
  let droppedDuplicates = 0;
  let rescues = 0;
  const diverged: number[] = [];
  const leaderState = JSON.stringify(machines.get(leader.id)!.state);
  for (const id of finalIds) {
    const sm = machines.get(id)!;
    duplicates = Math.max(duplicates, sm.duplicates);
    const metrics = await sim.replica(id)?.metricsJSON();
    droppedDuplicates = Math.max(droppedDuplicates, metrics?.['raft_proposals_duplicate_total']?.values[0]?.value ?? 0);
    rescues += metrics?.['raft_lagging_voter_rescues_total']?.values[0]?.value ?? 0;
    if (JSON.stringify(sm.state) !== leaderState) diverged.push(id);
    for (const op of history) {
      if (op.outcome === 'ok' && isWrite(op.input) && !sm.ids.has(opIds.get(op.input)!)) missing.push(`${id}:${opIds.get(op.input)!}`);
    }
  }
  return {
    seed: o.seed,
    check: check as CheckResult<unknown, unknown>,
    history,
    missing,
    diverged,
    duplicates,
    droppedDuplicates,
    rescues,
    counts,
    stats: sim.stats(),
    chaos: { ...chaos.counts },
    traceHash: sim.trace.hash(),
    traceTail: sim.trace.tail(o.traceLines ?? 150),
    virtualMs: sim.clock.now(),
  };
}

/** A read against the local state machine (no log entry): steps a copy of the machine's state. */
function stepRead(sm: AnyMachine, input: RegisterInput | KvInput): [unknown, RegisterOutput | KvOutput] {
  if (input.op === 'read') return [sm.state, { op: 'read', value: sm.state as RegisterValue }];
  const state = sm.state as Record<string, string>;
  const key = (input as { key: string }).key;
  return [state, { op: 'get', value: Object.hasOwn(state, key) ? state[key]! : null }];
}
