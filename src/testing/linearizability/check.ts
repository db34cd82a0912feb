import { SearchBudget, type BudgetExhaustion } from './budget.js';
import { findCounterexample, type Counterexample } from './counterexample.js';
import { explainCounterexample } from './explain.js';
import type { Model } from './model.js';
import type { Operation } from './operation.js';
import { checkInParallel, type ParallelOptions } from './parallel.js';
import { LocalWork, type PartitionWork } from './partition-work.js';
import { quickLinearizable, quickSearch } from './quick.js';
import { splitHistory, type SplitPartition } from './split.js';

/** Options of {@link checkLinearizable}. Every limit is optional; by default the search is unbounded. */
export interface CheckOptions {
  /**
   * The most model steps the whole check may take (over all partitions). When exceeded
   * the result is `{ ok: 'unknown', reason: 'max-steps' }`. Default: no limit.
   */
  readonly maxSteps?: number;
  /**
   * The most time the whole check may take, in the units of {@link CheckOptions.now}
   * (milliseconds for the default clock). When exceeded the result is
   * `{ ok: 'unknown', reason: 'time-limit' }`. Default: no limit.
   */
  readonly timeLimit?: number;
  /**
   * The clock for `timeLimit`; read only when `timeLimit` is set. Default:
   * `globalThis.performance.now()`, which exists in Node, browsers, Deno and Bun.
   */
  readonly now?: () => number;
  /**
   * The most model steps spent shrinking a counterexample once a violation is found.
   * Shrinking has a budget of its own: it never counts against `maxSteps` or
   * `timeLimit`, and the verdict never depends on it. `0` skips shrinking and reports
   * the whole failing partition. Default: 1 000 000.
   */
  readonly shrinkSteps?: number;
  /**
   * The most time shrinking may take, in the units of {@link CheckOptions.now}. When it
   * runs out, the smallest counterexample found so far is reported with
   * `shrink.complete: false`. Default: no limit (only `shrinkSteps`).
   */
  readonly shrinkTimeLimit?: number;
  /**
   * Check independent partitions (the KV model's keys) on several threads at once, for big
   * histories: `true`, or settings ({@link ParallelOptions}: how many threads, from how
   * many operations). Node only (`node:worker_threads`). The calling thread takes a share
   * and blocks until the worker threads, started on first use and kept for later checks
   * (they never keep the process alive; {@link closeCheckerThreads} stops them), have
   * answered; so the check stays synchronous.
   *
   * The result is the one the single-thread check returns, field for field: the same
   * verdict, the same reported partition (the first failing one in the check's order; the
   * threads stop work past it), the same counterexample and `steps`, and `maxSteps` runs
   * out at the same point. Only `timeLimit` is read by each thread on its own clock (the
   * worker threads' is `performance.now()`, in milliseconds, since `now` cannot cross
   * threads). Used only when the model has a {@link Model.recipe} (`registerModel` and
   * `kvModel` do), there are at least two partitions and threads, and the history has at
   * least `minOperations` operations; otherwise the check runs on the calling thread.
   * Default: `false`.
   *
   * @throws {@link ParallelCheckError} (from `checkLinearizable`) when a worker thread fails.
   */
  readonly parallel?: boolean | ParallelOptions;
}

/** How far shrinking the counterexample got (see {@link CheckOptions.shrinkSteps}). */
export interface ShrinkReport {
  /** Whether shrinking ran to completion (the counterexample is then 1-minimal). */
  readonly complete: boolean;
  /** Model steps spent shrinking (including the cut at the first violation). */
  readonly steps: number;
  /** Operations in the failing partition, cut at the violation, before shrinking. */
  readonly from: number;
  /** Operations in the reported counterexample. */
  readonly to: number;
}

/** The history is linearizable. */
export interface LinearizableResult {
  /** Discriminant: the history is linearizable. */
  readonly ok: true;
  /** How many independent partitions were checked. */
  readonly partitions: number;
  /** Model steps taken by the search. */
  readonly steps: number;
}

/** The history is not linearizable; a small failing sub-history explains why. */
export interface NotLinearizableResult<Input, Output> {
  /** Discriminant: the history is not linearizable. */
  readonly ok: false;
  /** The failing partition's key (`''` when the model does not partition). */
  readonly partitionKey: string;
  /**
   * A small sub-history of the failing partition that is itself not linearizable,
   * sorted by call time. Operations that were still running when the violation became
   * certain appear with outcome `'unknown'`.
   */
  readonly counterexample: readonly Operation<Input, Output>[];
  /** The operations of `counterexample` whose return made it non-linearizable. */
  readonly culprits: readonly Operation<Input, Output>[];
  /** Whether shrinking ran to completion (false when its budget ran out; the counterexample is still valid). */
  readonly minimal: boolean;
  /** How far shrinking got, within its own budget. */
  readonly shrink: ShrinkReport;
  /** A human-readable account with a timeline of `counterexample`. */
  readonly explanation: string;
  /** Model steps taken by the search (not counting shrinking). */
  readonly steps: number;
}

/** The check ran out of budget before reaching a verdict. */
export interface UnknownResult {
  /** Discriminant: no verdict. */
  readonly ok: 'unknown';
  /** Which limit was hit. */
  readonly reason: BudgetExhaustion;
  /** The partition being checked when the limit was hit. */
  readonly partitionKey: string;
  /** How many partitions were found linearizable before that. */
  readonly partitionsChecked: number;
  /** Model steps taken. */
  readonly steps: number;
}

/** The outcome of {@link checkLinearizable}, discriminated on `ok`. */
export type CheckResult<Input, Output> = LinearizableResult | NotLinearizableResult<Input, Output> | UnknownResult;

const DEFAULT_SHRINK_STEPS = 1_000_000;

/**
 * Checks whether `history` is linearizable with respect to `model`.
 *
 * Failed operations are dropped (they did not take effect). Unknown ones may take
 * effect at any time after their call, with any output, or not at all. The history is
 * split with `model.partitionKey` or `model.partition` (if any). Partitions are taken
 * smallest first. A quick pass runs the plain search on each with an allowance of a few
 * steps per operation: most partitions of real histories need no backtracking and are
 * done there. A partition it does not decide is simplified by the model
 * ({@link Model.simplify}) at once, so a violation the model proves without searching
 * (a read of a value nobody wrote) ends the check before any full search starts.
 * Then the remaining partitions are searched one by one (P-compositionality: the history
 * is linearizable iff every partition is), smallest first, stopping at the first failure.
 * The verdict does not depend on the order in which `history` lists its operations.
 *
 * @throws {@link HistoryFormatError} if an operation is malformed.
 * @throws {@link ParallelCheckError} if a worker thread of a parallel check (`options.parallel`) fails.
 */
export function checkLinearizable<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  const split = splitHistory(history, model);
  const now = options.now ?? defaultNow;
  const deadline = options.timeLimit === undefined ? Infinity : now() + options.timeLimit;
  const budget = new SearchBudget(options.maxSteps ?? Infinity, deadline, now);
  const partitions = split.sort(
    (a, b) => a.operations.length - b.operations.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );

  // Quick pass: partitions the plain search decides linearizable in a few steps per operation
  // are done. The others are prepared at once, so an impossible one ends the check before
  // any full search. Then the full searches, maybe on several threads (options.parallel).
  const local = new LocalWork(model, partitions);
  const done: boolean[] = [];
  const undecided: number[] = [];
  for (const [i, { operations, search }] of partitions.entries()) {
    done.push(search === undefined ? quickLinearizable(model, operations, budget) : quickSearch(model, search, operations.length, budget));
    if (done[i] === true) continue;
    undecided.push(i);
    const impossible = local.prepare(i);
    if (impossible >= 0) return impossibleAt(model, partitions[i]!, impossible, budget.steps);
  }
  const work: PartitionWork = checkInParallel(model, partitions, undecided, options, budget, local) ?? local;

  for (const [i, { key, operations }] of partitions.entries()) {
    if (done[i] === true) continue;
    const { outcome, frontier } = work.search(i, budget);
    if (outcome === 'linearizable') continue;
    if (outcome !== 'violation') {
      // Every partition before this one is linearizable (or the check would have stopped).
      return { ok: 'unknown', reason: outcome, partitionKey: key, partitionsChecked: i, steps: budget.steps };
    }
    const shrinkNow = options.now ?? defaultNow;
    const shrinkDeadline = options.shrinkTimeLimit === undefined ? Infinity : shrinkNow() + options.shrinkTimeLimit;
    const shrinkBudget = new SearchBudget(options.shrinkSteps ?? DEFAULT_SHRINK_STEPS, shrinkDeadline, shrinkNow);
    const found = findCounterexample(model, operations, shrinkBudget, frontier);
    return violation(model, key, operations, found, budget.steps);
  }
  return { ok: true, partitions: partitions.length, steps: budget.steps };
}

/** The result when the model proves operation `index` of `partition` impossible. */
function impossibleAt<State, Input, Output>(
  model: Model<State, Input, Output>,
  { key, operations }: SplitPartition<Input, Output>,
  index: number,
  steps: number,
): NotLinearizableResult<Input, Output> {
  const op = operations[index]!;
  return violation(model, key, operations, { operations: [op], culprits: [op], minimal: true, steps: 0 }, steps);
}

function violation<State, Input, Output>(
  model: Model<State, Input, Output>,
  key: string,
  operations: readonly Operation<Input, Output>[],
  found: Counterexample<Input, Output>,
  steps: number,
): NotLinearizableResult<Input, Output> {
  return {
    ok: false,
    partitionKey: key,
    counterexample: found.operations,
    culprits: found.culprits,
    minimal: found.minimal,
    shrink: { complete: found.minimal, steps: found.steps, from: found.cutSize ?? found.operations.length, to: found.operations.length },
    explanation: explainCounterexample(model, key, found.operations, found.culprits, operations.length),
    steps,
  };
}

function defaultNow(): number {
  return globalThis.performance.now();
}
