import { SeededRng } from '../../raft/rng.js';
import type { Replica } from '../../replica/replica.js';
import { HistoryRecorder } from '../linearizability/recorder.js';
import type { SimCluster } from './cluster.js';
import type { MsRange } from './chaos.js';

/** One operation a simulated client is about to issue. */
export interface WorkloadOperation<Input> {
  /** A short name, such as `'write'` or `'read'` (shown in counterexamples). */
  op: string;
  /** The input recorded in the history and passed to `execute`. */
  input: Input;
  /**
   * Whether the operation has no effect (a read): any failure of it is then recorded as
   * `'fail'`, since not knowing its output constrains nothing.
   */
  readOnly?: boolean;
}

/** What `execute` gets besides the replica and input. */
export interface WorkloadContext<R> {
  /** The member whose replica is used. */
  id: number;
  /** The cluster. */
  sim: SimCluster<R>;
  /** The operation's timeout; pass it as the request's `timeoutMs`. */
  timeoutMs: number;
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions<Input, Output, R> {
  /** The number of concurrent clients. Default 3. */
  clients?: number;
  /** The total number of operations, spread over the clients. */
  ops: number;
  /** Virtual milliseconds before a client gives up on an operation (outcome unknown). Default 1000. */
  timeoutMs?: number;
  /** Virtual milliseconds a client waits between operations. Default `[0, 40]`. */
  thinkMs?: MsRange;
  /** A seed for the clients' choices. Default: drawn from the cluster's RNG. */
  seed?: number;
  /** Generates client `client`'s next operation. */
  generate(rng: SeededRng, client: number): WorkloadOperation<Input>;
  /**
   * Performs `input` through `replica` (for example `propose` then decode, or `read()` then
   * the local state machine) and resolves with the output the client observes.
   */
  execute(replica: Replica<R>, input: Input, ctx: WorkloadContext<R>): Promise<Output>;
  /**
   * Decides how a rejected operation is recorded: `'fail'` only when the error guarantees the
   * operation had no effect. Default {@link classifyFailure}.
   */
  classify?(err: unknown): 'fail' | 'unknown';
}

/** The outcome counts of a workload run. */
export interface WorkloadCounts {
  /** Operations that completed with an output. */
  ok: number;
  /** Operations that definitely had no effect. */
  fail: number;
  /** Operations whose outcome is unknown (timed out, member crashed or stopped). */
  unknown: number;
}

/** What {@link runWorkload} returns. */
export interface WorkloadResult<Input, Output> {
  /** The recorded history, to check with `checkLinearizable`. */
  recorder: HistoryRecorder<Input, Output>;
  /** How many operations ended ok, failed, or with an unknown outcome. */
  counts: WorkloadCounts;
}

const DEFINITE_FAILURES = new Set(['ERR_TOO_MANY_REQUESTS', 'ERR_NOT_LEADER', 'ERR_PROPOSAL_DROPPED', 'ERR_MEMBERSHIP_REFUSED']);

/**
 * The default failure classification: a typed rejection that guarantees the operation had
 * no effect (`TooManyRequestsError`, `NotLeaderError`, `ProposalDroppedError`,
 * `MembershipRefusedError`) is `'fail'`; anything else (a `TimeoutError`, a `StoppedError`
 * of a member going down, an unexpected error) is `'unknown'`.
 */
export function classifyFailure(err: unknown): 'fail' | 'unknown' {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && DEFINITE_FAILURES.has(code) ? 'fail' : 'unknown';
}

const TIMED_OUT = Symbol('timed out');

/**
 * Runs a client workload on a simulated cluster (driving its time) and returns the recorded
 * history, stamped with virtual time. Each client issues `ops / clients` operations one at a
 * time, each through a random member that is up, with a virtual timeout: a timed-out
 * operation is `'unknown'`, a rejection is classified by `classify`.
 *
 * Stamps are the virtual time, nudged up by a microsecond where needed so that they strictly
 * increase in the order events happened (several happen at one virtual instant).
 */
export async function runWorkload<Input, Output, R>(
  sim: SimCluster<R>,
  options: WorkloadOptions<Input, Output, R>,
): Promise<WorkloadResult<Input, Output>> {
  const clients = options.clients ?? 3;
  const timeoutMs = options.timeoutMs ?? 1000;
  const think = options.thinkMs ?? [0, 40];
  const classify = (err: unknown): 'fail' | 'unknown' => (options.classify === undefined ? classifyFailure(err) : options.classify(err));
  const rng = new SeededRng(options.seed ?? sim.rng.nextUint32());
  let last = -Infinity;
  const now = (): number => (last = Math.max(sim.clock.now(), last + 1e-3));
  const recorder = new HistoryRecorder<Input, Output>({ now });
  const counts: WorkloadCounts = { ok: 0, fail: 0, unknown: 0 };

  const one = async (client: number): Promise<void> => {
    const up = sim.up();
    const id = up[rng.nextInt(Math.max(1, up.length))];
    const replica = id === undefined ? undefined : sim.replica(id);
    const next = options.generate(rng, client);
    if (id === undefined || replica === undefined || replica.lifecycle !== 'open') return;
    const h = recorder.invoke(client, next.op, next.input);
    let cancel: () => void = () => undefined;
    const timer = new Promise<typeof TIMED_OUT>((resolve) => {
      cancel = sim.clock.schedule(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      const out = await Promise.race([options.execute(replica, next.input, { id, sim, timeoutMs }), timer]);
      if (out === TIMED_OUT) {
        if (next.readOnly === true) h.fail('timeout');
        else h.unknown();
      } else {
        h.ok(out);
      }
    } catch (err) {
      if (next.readOnly === true || classify(err) === 'fail') h.fail(err);
      else h.unknown();
    } finally {
      cancel();
    }
  };

  const loop = async (client: number, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await sim.sleep(think[0] + rng.nextInt(Math.max(1, think[1] - think[0] + 1)));
      await one(client);
    }
  };
  const per = Math.ceil(options.ops / clients);
  const all = Promise.all(Array.from({ length: clients }, (_, c) => loop(c, Math.min(per, Math.max(0, options.ops - c * per)))));
  await sim.drive(all, { timeoutMs: options.ops * (timeoutMs + think[1]) + 10_000 });
  for (const op of recorder.history()) counts[op.outcome]++;
  return { recorder, counts };
}
