/**
 * The workload: K clients, each issuing one single-key operation at a time (put, linearizable
 * get, delete, compare-and-set) through a random running member, recorded with real call and
 * return times in a {@link HistoryRecorder}.
 *
 * How an answer becomes an outcome (see src/replica/replica.ts and proposals.ts):
 * - an answer `ok` → `ok` with the output;
 * - a failed get → `fail`: a read has no effect whatever happened to it;
 * - a failed write whose error guarantees the entry never reached any log → `fail`:
 *   `ERR_PROPOSAL_DROPPED` (refused by `RaftNode.propose` with no leader, or its entry was
 *   overwritten at the index this member saw it at, so by Log Matching it can never commit),
 *   `ERR_TOO_MANY_REQUESTS` and `ERR_NOT_LEADER` (refused before proposing), `ERR_NOT_SENT`
 *   (the member process had exited before the request was written);
 * - anything else → `unknown`: `ERR_TIMEOUT`, `ERR_STOPPED` (a stopping replica fails
 *   proposals that may still commit), `ERR_EXITED` (the process died mid-request), no answer
 *   within the client timeout (a paused member), or an unexpected code.
 *
 * After an `unknown`, the client continues under a new id (`c3` → `c3.1`), as Jepsen retires
 * a process whose operation is indeterminate: the open operation must not look sequential
 * with the client's next one.
 */
import { SeededRng } from '../src/index.js';
import type { HistoryRecorder, KvInput, KvOutput } from '../src/testing/index.js';
import type { Answer, MemberProcess } from '../examples/kv-cluster/driver.js';
import type { ChaosCluster } from './cluster.js';

/** Error codes of a write that guarantee it had no effect. */
export const NO_EFFECT_CODES: ReadonlySet<string> = new Set(['ERR_PROPOSAL_DROPPED', 'ERR_TOO_MANY_REQUESTS', 'ERR_NOT_LEADER', 'ERR_NOT_SENT']);

/** How a request ended, as the client classifies it. */
export type Outcome = { kind: 'ok'; output: KvOutput } | { kind: 'fail'; code: string } | { kind: 'unknown'; code: string };

/** Counters of one workload run. */
export interface WorkloadStats {
  /** Operations by outcome. */
  outcomes: Record<Outcome['kind'], number>;
  /** Operations by kind (put, get, delete, cas). */
  byOp: Record<KvInput['op'], number>;
  /** Failed and unknown operations by error code (`CLIENT_TIMEOUT` when the client gave up). */
  codes: Record<string, number>;
}

/** Turns a member's answer (or the client giving up, `undefined`) into an outcome. */
export function classify(input: KvInput, answer: Answer | undefined): Outcome {
  if (answer === undefined) return input.op === 'get' ? { kind: 'fail', code: 'CLIENT_TIMEOUT' } : { kind: 'unknown', code: 'CLIENT_TIMEOUT' };
  if (!answer.ok) {
    const code = answer.code ?? 'ERR_UNKNOWN';
    return input.op === 'get' || NO_EFFECT_CODES.has(code) ? { kind: 'fail', code } : { kind: 'unknown', code };
  }
  const r = (answer.result ?? {}) as { value?: string | null; prev?: string | null; swapped?: boolean };
  switch (input.op) {
    case 'put':
      return { kind: 'ok', output: { op: 'put' } };
    case 'get':
      return { kind: 'ok', output: { op: 'get', value: r.value ?? null } };
    case 'delete':
      return { kind: 'ok', output: { op: 'delete', deleted: r.prev !== undefined && r.prev !== null } };
    case 'cas':
      return { kind: 'ok', output: { op: 'cas', swapped: r.swapped === true } };
    case 'txn':
      throw new Error('the chaos workload issues no txn');
  }
}

/** Sends `input` to `m` and resolves with the answer, or `undefined` after `timeoutMs` without one. */
export async function send(m: MemberProcess, input: KvInput, requestTimeoutMs: number, timeoutMs: number): Promise<Answer | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([m.request({ ...input, timeoutMs: requestTimeoutMs }), giveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the workload needs to run. */
export interface WorkloadOptions {
  /** Number of clients. */
  clients: number;
  /** Number of keys. */
  keys: number;
  /** Seeds each client's choices. */
  seed: number;
  /** The Replica's request deadline. */
  requestTimeoutMs: number;
  /** When the client gives up waiting. */
  clientTimeoutMs: number;
}

/** The clients of one chaos run. */
export class Workload {
  /** Counters, updated as operations complete. */
  readonly stats: WorkloadStats = {
    outcomes: { ok: 0, fail: 0, unknown: 0 },
    byOp: { put: 0, get: 0, delete: 0, cas: 0, txn: 0 },
    codes: {},
  };
  private readonly o: WorkloadOptions;
  private readonly cluster: ChaosCluster;
  private readonly recorder: HistoryRecorder<KvInput, KvOutput>;
  private stopping = false;

  /**
   * @param o - sizes, seed and timeouts.
   * @param cluster - the members to talk to.
   * @param recorder - where operations are recorded.
   */
  constructor(o: WorkloadOptions, cluster: ChaosCluster, recorder: HistoryRecorder<KvInput, KvOutput>) {
    this.o = o;
    this.cluster = cluster;
    this.recorder = recorder;
  }

  /** Runs every client until {@link Workload.stop}; resolves once their last operations completed. */
  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.o.clients }, (_, i) => this.client(i)));
  }

  /** Asks the clients to stop after their current operation. */
  stop(): void {
    this.stopping = true;
  }

  /** Issues one operation from `clientId` through `m`, records it and returns its outcome. */
  async issue(clientId: string, m: MemberProcess, input: KvInput): Promise<Outcome> {
    const h = this.recorder.invoke(clientId, input.op, input);
    const outcome = classify(input, await send(m, input, this.o.requestTimeoutMs, this.o.clientTimeoutMs));
    if (outcome.kind === 'ok') h.ok(outcome.output);
    else if (outcome.kind === 'fail') h.fail(outcome.code);
    else h.unknown();
    this.stats.outcomes[outcome.kind]++;
    this.stats.byOp[input.op]++;
    if (outcome.kind !== 'ok') this.stats.codes[outcome.code] = (this.stats.codes[outcome.code] ?? 0) + 1;
    return outcome;
  }

  private async client(index: number): Promise<void> {
    const rng = new SeededRng(this.o.seed * 1000 + index + 1);
    const lastSeen = new Map<string, string | null>();
    let generation = 0;
    let written = 0;
    while (!this.stopping) {
      const running = this.cluster.running();
      if (running.length === 0) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const m = running[rng.nextInt(running.length)]!;
      const input = this.nextInput(rng, `c${index}-${++written}`, lastSeen);
      const clientId = generation === 0 ? `c${index}` : `c${index}.${generation}`;
      const outcome = await this.issue(clientId, m, input);
      if (outcome.kind === 'unknown') generation++;
      if (outcome.kind === 'ok') {
        const out = outcome.output;
        if (out.op === 'get') lastSeen.set(input.key, out.value);
        else if (input.op === 'put' || (input.op === 'cas' && out.op === 'cas' && out.swapped)) lastSeen.set(input.key, input.value);
        else if (input.op === 'delete') lastSeen.set(input.key, null);
      }
    }
  }

  /** 40 % get, 30 % put, 20 % cas (expecting the value this client last saw), 10 % delete; values are unique. */
  private nextInput(rng: SeededRng, value: string, lastSeen: Map<string, string | null>): KvInput {
    const key = `k${rng.nextInt(this.o.keys)}`;
    const r = rng.nextFloat();
    if (r < 0.4) return { op: 'get', key };
    if (r < 0.7) return { op: 'put', key, value };
    if (r < 0.9) return { op: 'cas', key, expected: lastSeen.get(key) ?? null, value };
    return { op: 'delete', key };
  }
}
