/**
 * A seeded corpus of histories for the linearizability checker, in the classes of issue 14:
 * simulated-cluster runs under chaos, random concurrent histories, histories with many
 * unknown outcomes that never return, many calls at one instant, a single hot register with
 * 16 clients, 10 000-operation histories with ~200 unknowns (with and without a read of a
 * never-written value), and corrupted (mostly non-linearizable) histories; plus entry-order
 * permutations of any history. Everything is generated from seeds, so nothing is stored.
 *
 * Used by the oracle test (small sizes) and by `npm run bench` (bench/checker.bench.ts).
 */
import { SeededRng } from '../../../src/raft/rng.js';
import type {
  KvInput,
  KvOutput,
  Operation,
  RegisterInput,
  RegisterOutput,
  RegisterValue,
} from '../../../src/testing/linearizability/index.js';
import { jepsenRun } from '../sim/helpers/jepsen.js';
import { simulateKv } from './helpers.js';

/** A register operation. */
export type RegOp = Operation<RegisterInput, RegisterOutput>;
/** A KV operation. */
export type KvOp = Operation<KvInput, KvOutput>;

/** The classes of the corpus. */
export type CorpusClass =
  | 'sim-chaos'
  | 'random'
  | 'unknown-heavy'
  | 'same-instant'
  | 'hot-register'
  | 'big-unknown'
  | 'big-unknown-ghost'
  | 'corrupted';

/** One history of the corpus, with the model it is checked against. */
export type CorpusCase =
  | { readonly cls: CorpusClass; readonly name: string; readonly model: 'register'; readonly history: readonly RegOp[] }
  | { readonly cls: CorpusClass; readonly name: string; readonly model: 'kv'; readonly history: readonly KvOp[] };

/** Options of {@link registerHistory}. */
export interface RegisterHistoryOptions {
  readonly seed: number;
  readonly clients: number;
  readonly operations: number;
  /** Share of reads (the rest are writes and, with `casRate`, compare-and-sets). Default 0.5. */
  readonly readRate?: number;
  /** Share of compare-and-sets among the non-reads. Default 0. */
  readonly casRate?: number;
  /** Probability that an operation's outcome is unknown (it never returns; it may or may not apply). */
  readonly unknownRate?: number;
  /** Probability that an operation fails (it does not apply). Default 0. */
  readonly failRate?: number;
  /** How many of the first operations are all called at time 0 (by distinct clients). Default 0. */
  readonly sameInstant?: number;
  /** Longest operation duration, in time units. Default 20. */
  readonly maxDuration?: number;
}

interface Planned {
  clientId: number;
  input: RegisterInput;
  call: number;
  ret: number;
  /** The linearization point, or NaN when the operation does not take effect. */
  point: number;
  outcome: 'ok' | 'unknown' | 'fail';
}

/**
 * A linearizable register history with integer times (so calls and returns often tie):
 * every operation gets an interval and a linearization point inside it (unknown ones
 * anywhere after their call, or no effect at all), and outputs are computed by replaying
 * the points in order. Written values are unique.
 */
export function registerHistory(o: RegisterHistoryOptions): RegOp[] {
  const rng = new SeededRng(o.seed);
  const maxDuration = o.maxDuration ?? 20;
  const clockOf = new Array<number>(o.clients).fill(0);
  const planned: Planned[] = [];
  let values = 0;
  for (let i = 0; i < o.operations; i++) {
    const same = i < (o.sameInstant ?? 0);
    const clientId = same ? i : rng.nextInt(o.clients);
    const call = same ? 0 : clockOf[clientId % o.clients]! + rng.nextInt(4);
    const ret = call + 1 + rng.nextInt(maxDuration);
    const roll = rng.nextFloat();
    const outcome = roll < (o.unknownRate ?? 0) ? 'unknown' : roll < (o.unknownRate ?? 0) + (o.failRate ?? 0) ? 'fail' : 'ok';
    const input = registerInput(rng, o, `v${values++}`, planned);
    let point = call + rng.nextFloat() * (ret - call);
    if (outcome === 'fail' || (outcome === 'unknown' && rng.nextInt(2) === 0)) point = NaN;
    else if (outcome === 'unknown') point = call + rng.nextFloat() * 4 * maxDuration;
    planned.push({ clientId, input, call, ret, point, outcome });
    if (!same) clockOf[clientId % o.clients] = ret;
  }
  return replayRegister(planned);
}

function registerInput(rng: SeededRng, o: RegisterHistoryOptions, fresh: string, planned: readonly Planned[]): RegisterInput {
  if (rng.nextFloat() < (o.readRate ?? 0.5)) return { op: 'read' };
  if (rng.nextFloat() >= (o.casRate ?? 0)) return { op: 'write', value: fresh };
  // Expect a recently written value (or the initial null) so that some swaps succeed.
  const recent = planned.filter((p) => p.input.op !== 'read').slice(-4);
  const pick = recent[rng.nextInt(recent.length + 1)];
  const expected = pick === undefined || pick.input.op === 'read' ? null : pick.input.value;
  return { op: 'cas', expected, value: fresh };
}

function replayRegister(planned: readonly Planned[]): RegOp[] {
  const outputs = new Map<Planned, RegisterOutput>();
  let state: RegisterValue = null;
  const applied = planned.filter((p) => !Number.isNaN(p.point)).sort((a, b) => a.point - b.point);
  for (const p of applied) {
    const { input } = p;
    if (input.op === 'read') outputs.set(p, { op: 'read', value: state });
    else if (input.op === 'write') {
      state = input.value;
      outputs.set(p, { op: 'write' });
    } else {
      const swapped = state === input.expected;
      if (swapped) state = input.value;
      outputs.set(p, { op: 'cas', swapped });
    }
  }
  return planned.map((p): RegOp => {
    // Object literals (as HistoryRecorder and historyFromJSON build them), not spreads: V8 gives
    // each `{ ...base, more }` a hidden class of its own, and every read of it is slow.
    const { clientId, input, call } = p;
    if (p.outcome === 'unknown') return { clientId, op: input.op, input, call, outcome: 'unknown', return: Infinity };
    if (p.outcome === 'fail') return { clientId, op: input.op, input, call, outcome: 'fail', return: p.ret };
    return { clientId, op: input.op, input, call, outcome: 'ok', return: p.ret, output: outputs.get(p)! };
  });
}

/**
 * Corrupts one completed read (chosen by `seed`): it now returns a value written
 * earlier than the one it saw (a stale read), or, with `ghost`, a value nobody wrote.
 * The result is usually, not always, non-linearizable: the checkers decide.
 */
export function corruptRead<I extends RegisterInput | KvInput, O extends RegisterOutput | KvOutput>(
  history: readonly Operation<I, O>[],
  seed: number,
  options: { ghost?: boolean; after?: number } = {},
): Operation<I, O>[] {
  const rng = new SeededRng(seed);
  const isRead = (op: Operation<I, O>): boolean => op.outcome === 'ok' && (op.input.op === 'read' || op.input.op === 'get');
  const start = Math.floor((options.after ?? 0) * history.length);
  const reads = history.flatMap((op, i) => (i >= start && isRead(op) ? [i] : []));
  if (reads.length === 0) return [...history];
  const victim = reads[rng.nextInt(reads.length)]!;
  const target = history[victim]!;
  const key = (target.input as { key?: string }).key;
  const written = history
    .filter((op) => op.call < target.call && (op.input.op === 'write' || op.input.op === 'put'))
    .filter((op) => (op.input as { key?: string }).key === key)
    .map((op) => (op.input as { value: string }).value);
  const value = options.ghost === true || written.length === 0 ? 'never-written' : written[rng.nextInt(written.length)]!;
  const output = { op: target.input.op, value } as unknown as O;
  return history.map((op, i) => (i === victim && op.outcome === 'ok' ? { clientId: op.clientId, op: op.op, input: op.input, call: op.call, outcome: 'ok', return: op.return, output } : op));
}

/** `count` entry-order permutations of `history` (seeded shuffles; the first is the history as listed). */
export function permutations<T>(history: readonly T[], count: number, seed: number): T[][] {
  const rng = new SeededRng(seed);
  const out: T[][] = [[...history]];
  for (let k = 1; k < count; k++) {
    const copy = [...history];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    out.push(copy);
  }
  return out;
}

/** How big the corpus is: `'bench'` for the benchmark, `'quick'` for a fast smoke run. */
export type CorpusSize = 'bench' | 'quick';

/**
 * The synchronous classes of the corpus (everything but `sim-chaos`), `perClass`
 * histories each, from `seed`.
 */
export function syntheticCorpus(seed: number, perClass: number, size: CorpusSize = 'bench'): CorpusCase[] {
  const big = size === 'bench' ? 10_000 : 1_000;
  const cases: CorpusCase[] = [];
  for (let k = 0; k < perClass; k++) {
    const s = seed * 1000 + k;
    const kv = simulateKv({ seed: s, clients: 2 + (k % 7), operations: 200 + 100 * k, keys: 1 + (k % 3), failRate: 0.05 });
    cases.push({ cls: 'random', name: `random-kv-${s}`, model: 'kv', history: kv });
    cases.push({
      cls: 'unknown-heavy',
      name: `unknown-heavy-${s}`,
      model: 'register',
      history: registerHistory({ seed: s, clients: 6, operations: 300, unknownRate: 0.25, casRate: 0.2 }),
    });
    const instant = registerHistory({ seed: s, clients: 22, operations: 22, sameInstant: 20, unknownRate: 0.2, maxDuration: 30 });
    cases.push({ cls: 'same-instant', name: `same-instant-${s}`, model: 'register', history: k % 2 === 0 ? instant : corruptRead(instant, s) });
    cases.push({
      cls: 'hot-register',
      name: `hot-register-${s}`,
      model: 'register',
      history: registerHistory({ seed: s, clients: 16, operations: big, unknownRate: 0.01, casRate: 0.2, maxDuration: 40 }),
    });
    const bigKv = simulateKv({ seed: s, clients: 16, operations: big, keys: 8, unknownRate: 0.02, failRate: 0.01 });
    cases.push({ cls: 'big-unknown', name: `big-unknown-${s}`, model: 'kv', history: bigKv });
    cases.push({ cls: 'big-unknown-ghost', name: `big-unknown-ghost-${s}`, model: 'kv', history: corruptRead(bigKv, s, { ghost: true, after: 0.9 }) });
    const base = simulateKv({ seed: s + 7, clients: 8, operations: 2_000, keys: 2, unknownRate: 0.02, failRate: 0.02 });
    cases.push({ cls: 'corrupted', name: `corrupted-kv-${s}`, model: 'kv', history: corruptRead(base, s, { after: 0.5 }) });
  }
  return cases;
}

/** `count` histories of simulated clusters (3 or 5 members) under random faults, half register, half KV. */
export async function simCorpus(seed: number, count: number, ops = 200): Promise<CorpusCase[]> {
  const cases: CorpusCase[] = [];
  for (let k = 0; k < count; k++) {
    const kind = k % 2 === 0 ? 'register' : 'kv';
    const run = await jepsenRun({ kind, members: k % 4 < 2 ? 3 : 5, seed: seed + k, ops, clients: 6 });
    const name = `sim-${kind}-${seed + k}`;
    cases.push(
      kind === 'register'
        ? { cls: 'sim-chaos', name, model: 'register', history: run.history as readonly RegOp[] }
        : { cls: 'sim-chaos', name, model: 'kv', history: run.history as readonly KvOp[] },
    );
  }
  return cases;
}
