import type { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import type { Operation, SearchOperation } from './operation.js';
import { searchPrepared } from './search.js';

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
  const allowance = Math.min(QUICK_STEPS_PER_OP * operations.length + QUICK_MIN_STEPS, budget.maxSteps - budget.steps);
  if (!(allowance > 0) || budget.expired()) return false;
  const ops: SearchOperation<Input, Output>[] = [];
  const isPure = model.isPure?.bind(model);
  let sorted = true;
  let last = -Infinity;
  for (const op of operations) {
    // One read of each field (histories mix object shapes, so every read is a slow one).
    const { input, call } = op;
    const required = op.outcome === 'ok';
    // An unknown operation that changes nothing constrains nothing (as in prepareOperations).
    if (!required && isPure?.(input, undefined) === true) continue;
    ops.push({ input, output: required ? (op as { output: Output }).output : undefined, call, return: op.return, required });
    if (call < last) sorted = false;
    last = call;
  }
  // The search takes its operations in call order (ties in any order).
  if (!sorted) ops.sort((a, b) => a.call - b.call);
  return budget.within(allowance, (sub) => searchPrepared(model, ops, sub, [], false).outcome === 'linearizable');
}
