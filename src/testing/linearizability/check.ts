import { SearchBudget, type BudgetExhaustion } from './budget.js';
import { findCounterexample } from './counterexample.js';
import { explainCounterexample } from './explain.js';
import type { HistoryPartition, Model } from './model.js';
import { outputOf, type Operation } from './operation.js';
import { searchLinearization } from './search.js';
import { validateHistory } from './validate.js';

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
   * The most model steps spent shrinking a counterexample once a violation is found
   * (on top of `maxSteps`, but within `timeLimit`). `0` skips shrinking and reports the
   * whole failing partition. Default: 1 000 000.
   */
  readonly shrinkSteps?: number;
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
 * split with `model.partition` (if any) and each partition searched on its own
 * (P-compositionality), in order, stopping at the first failure.
 *
 * @throws {@link HistoryFormatError} if an operation is malformed.
 */
export function checkLinearizable<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  validateHistory(history);
  const now = options.now ?? defaultNow;
  const deadline = options.timeLimit === undefined ? Infinity : now() + options.timeLimit;
  const budget = new SearchBudget(options.maxSteps ?? Infinity, deadline, now);
  const live = history.filter((op) => op.outcome !== 'fail');
  const partitions: readonly HistoryPartition<Input, Output>[] =
    model.partition === undefined ? [{ key: '', operations: live }] : model.partition(live);

  let checked = 0;
  for (const { key, operations } of partitions) {
    const searchOps = operations.map((op) => ({
      input: op.input,
      output: outputOf(op),
      call: op.call,
      return: op.return,
      required: op.outcome === 'ok',
    }));
    const verdict = searchLinearization(model, searchOps, budget);
    if (verdict === 'linearizable') {
      checked++;
      continue;
    }
    if (verdict !== 'violation') {
      return { ok: 'unknown', reason: verdict, partitionKey: key, partitionsChecked: checked, steps: budget.steps };
    }
    const shrinkBudget = new SearchBudget(options.shrinkSteps ?? DEFAULT_SHRINK_STEPS, deadline, now);
    const found = findCounterexample(model, operations, shrinkBudget);
    return {
      ok: false,
      partitionKey: key,
      counterexample: found.operations,
      culprits: found.culprits,
      minimal: found.minimal,
      explanation: explainCounterexample(model, key, found.operations, found.culprits, operations.length),
      steps: budget.steps,
    };
  }
  return { ok: true, partitions: partitions.length, steps: budget.steps };
}

function defaultNow(): number {
  return globalThis.performance.now();
}
