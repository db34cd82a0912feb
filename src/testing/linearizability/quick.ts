import type { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import type { Operation, SearchOperation } from './operation.js';
import { releaseScratch, SLOT, takeScratch } from './scratch.js';
import { searchPrepared } from './search.js';
import { orderByTime } from './time-order.js';

/** The quick pass's allowance: this many model steps per operation of the partition, plus {@link QUICK_MIN_STEPS}. */
const QUICK_STEPS_PER_OP = 6;
const QUICK_MIN_STEPS = 64;

/**
 * The quick pass of a check: the just-in-time search run straight on one partition's
 * operations (no simplification; in call order, ties as listed), within a small allowance of
 * model steps (about six per operation, never more than `budget` has left).
 *
 * Most partitions of real histories need no backtracking at all, and the preparation
 * that makes hard histories tractable (the model's simplification, the canonical order)
 * costs more than such a search. A `true` result is exact (the search is complete and
 * sound; only its allowance is small), so it does not depend on the order the history
 * lists its operations in. `false` means "not decided here": the partition may still be
 * linearizable, and the caller runs the full check on it. The steps taken are charged to
 * `budget` either way.
 */
export function quickLinearizable<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  budget: SearchBudget,
): boolean {
  return quickSearch(model, quickOperations(model, operations), operations.length, budget);
}

/**
 * The operations the quick pass searches: every operation as the search sees it, but the
 * unknown ones that change nothing (they constrain nothing, as in `prepareOperations`).
 */
export function quickOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
): SearchOperation<Input, Output>[] {
  const ops: SearchOperation<Input, Output>[] = [];
  for (const op of operations) {
    const search = quickOperation(model, op);
    if (search !== undefined) ops.push(search);
  }
  return ops;
}

/** One operation as the quick pass searches it, or `undefined` for an unknown one that changes nothing. */
export function quickOperation<State, Input, Output>(
  model: Model<State, Input, Output>,
  op: Operation<Input, Output>,
): SearchOperation<Input, Output> | undefined {
  // One read of each field: histories are large and their operations scattered in memory.
  const { input, call } = op;
  const required = op.outcome === 'ok';
  if (!required && model.isPure?.(input, undefined) === true) return undefined;
  return { input, output: required ? (op as { output: Output }).output : undefined, call, return: op.return, required };
}

/**
 * The quick pass over `ops` ({@link quickOperations} of a partition of `size` operations,
 * or the same built while splitting the history), in any order. Like any search, it reads
 * the clock of a time limit once every 1024 steps, not before it starts: a clock read costs
 * as much as the whole pass on a small partition.
 */
export function quickSearch<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: SearchOperation<Input, Output>[],
  size: number,
  budget: SearchBudget,
): boolean {
  const allowance = Math.min(QUICK_STEPS_PER_OP * size + QUICK_MIN_STEPS, budget.maxSteps - budget.steps);
  if (!(allowance > 0)) return false;
  // The search takes its operations in call order (ties as listed).
  for (let i = 1; i < ops.length; i++) {
    if (ops[i]!.call < ops[i - 1]!.call) {
      sortByCall(ops);
      break;
    }
  }
  return budget.within(allowance, (sub) => searchPrepared(model, ops, sub, [], false).outcome === 'linearizable');
}

/**
 * Sorts `ops` by call time, operations called at the same time staying in the order
 * listed: what a stable sort with `(a, b) => a.call - b.call` gives, but without calling
 * a comparator (several times cheaper on a few hundred operations).
 */
export function sortByCall<Input, Output>(ops: SearchOperation<Input, Output>[]): void {
  const n = ops.length;
  const scratch = takeScratch();
  try {
    const { int32, float64 } = SLOT;
    const times = scratch.float64(float64.calls, n);
    for (let i = 0; i < n; i++) times[i] = ops[i]!.call;
    const order = orderByTime(times, scratch.int32(int32.byCall, n), scratch.int32(int32.sortTemp, n));
    const listed = ops.slice();
    for (let i = 0; i < n; i++) ops[i] = listed[order[i]!]!;
  } finally {
    releaseScratch(scratch);
  }
}
