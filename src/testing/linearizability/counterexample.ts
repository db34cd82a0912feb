import type { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import { asUnknown, toSearchOperation as toSearch, type Operation, type SearchOperation } from './operation.js';
import { searchLinearization, type SearchOutcome } from './search.js';

/**
 * A small non-linearizable sub-history, found by cutting the history at the first
 * moment it stops being linearizable and then dropping operations that do not matter.
 */
export interface Counterexample<Input, Output> {
  /** The operations, sorted by call time. Operations still running at the cut are unknown. */
  readonly operations: readonly Operation<Input, Output>[];
  /** The operations whose return made the history non-linearizable (usually one). */
  readonly culprits: readonly Operation<Input, Output>[];
  /** Whether shrinking finished; false if its budget ran out first (the result is still a counterexample). */
  readonly minimal: boolean;
  /** Model steps spent cutting and shrinking. */
  readonly steps: number;
  /** Operations in the history cut at the first violation, before shrinking. */
  readonly cutSize?: number;
}

/** Per-search step allowance while shrinking, as a multiple of the sub-history's size. */
const STEPS_PER_OP = 64;
const MIN_STEPS_PER_SEARCH = 20_000;
/** Largest sub-history (operations) for which shrinking also checks the order-free relaxation, which is exponential. */
const FULL_RELAXATION_LIMIT = 12;

/**
 * Finds a small counterexample inside `operations`, which must be non-linearizable.
 *
 * 1. **Cut.** A prefix of a linearizable history is linearizable, so the first return
 *    event after which the history fails is found by binary search. Operations called
 *    by then but not yet returned become unknown; later ones are dropped.
 * 2. **Shrink.** Dropping operations can create new, unrelated violations (drop the
 *    write a read observed and the read becomes impossible), so a candidate is kept only
 *    if it still fails, still passes once the culprits' outputs are forgotten, and, when
 *    the violation was about real-time order, still passes once the culprits (and, for
 *    small candidates, all operations) may run at any time. Chunks are dropped first,
 *    then single operations, within `budget`.
 */
export function findCounterexample<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  budget: SearchBudget,
  frontier?: number,
): Counterexample<Input, Output> {
  const ops = [...operations].sort((a, b) => a.call - b.call);
  const { kept, culprits } = cutAt(model, ops, budget, frontier) ?? cutAtFirstViolation(model, ops, budget);
  const found = shrink(model, kept, culprits, budget);
  return { ...found, steps: budget.steps, cutSize: kept.length + culprits.length };
}

/**
 * The cut at the search's frontier (the return it could never get past), when that cut
 * is confirmed to fail; `undefined` to fall back to the binary search.
 */
function cutAt<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly Operation<Input, Output>[],
  budget: SearchBudget,
  frontier: number | undefined,
): { kept: Operation<Input, Output>[]; culprits: Operation<Input, Output>[] } | undefined {
  if (frontier === undefined || !Number.isFinite(frontier)) return undefined;
  const cut = prefixAt(ops, frontier);
  if (cut.culprits.length === 0) return undefined;
  const verdict = run(model, [...cut.kept, ...cut.culprits].map(toSearch), budget, ops.length);
  return verdict === 'violation' ? cut : undefined;
}

function cutAtFirstViolation<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly Operation<Input, Output>[],
  budget: SearchBudget,
): { kept: Operation<Input, Output>[]; culprits: Operation<Input, Output>[] } {
  const returns = [...new Set(ops.filter((op) => op.outcome === 'ok').map((op) => op.return))].sort((a, b) => a - b);
  let lo = 0;
  let hi = returns.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const prefix = prefixAt(ops, returns[mid]!);
    const verdict = run(model, [...prefix.kept, ...prefix.culprits].map(toSearch), budget, ops.length);
    if (verdict === 'violation') hi = mid;
    else lo = mid + 1;
  }
  return prefixAt(ops, returns[lo] ?? Infinity);
}

/** The history as it stood at time `t`: culprits are the completed operations returning exactly at `t`. */
function prefixAt<Input, Output>(
  ops: readonly Operation<Input, Output>[],
  t: number,
): { kept: Operation<Input, Output>[]; culprits: Operation<Input, Output>[] } {
  const kept: Operation<Input, Output>[] = [];
  const culprits: Operation<Input, Output>[] = [];
  for (const op of ops) {
    if (op.call > t) continue;
    if (op.outcome === 'ok' && op.return === t) culprits.push(op);
    else kept.push(op.outcome === 'ok' && op.return < t ? op : asUnknown(op));
  }
  return { kept, culprits };
}

function shrink<State, Input, Output>(
  model: Model<State, Input, Output>,
  initial: Operation<Input, Output>[],
  culprits: Operation<Input, Output>[],
  budget: SearchBudget,
): Counterexample<Input, Output> {
  const size = initial.length + culprits.length;
  const exact = culprits.map(toSearch);
  const forgotten = culprits.map((op) => toSearch<Input, Output>(asUnknown(op)));
  const culpritsAnytime = exact.map(anytime);
  let minimal = true;
  const check = (rest: readonly Operation<Input, Output>[], tail: SearchOperation<Input, Output>[], relax = false): SearchOutcome => {
    const ops = [...rest.map(toSearch), ...tail];
    const verdict = run(model, relax ? ops.map(anytime) : ops, budget, size);
    if (verdict !== 'linearizable' && verdict !== 'violation') minimal = false;
    return verdict;
  };
  // Was the violation about real-time order? Then a smaller candidate must keep it so: if the
  // culprits (or, once the candidate is small enough to afford it, every operation) may run at
  // any time, the candidate must pass. Otherwise a drop could turn "read too late" into
  // "read a value nobody wrote", a different and misleading violation.
  const culpritTiming = check(initial, culpritsAnytime) === 'linearizable';
  let allTiming: boolean | undefined;
  const accept = (kept: readonly Operation<Input, Output>[], candidate: Operation<Input, Output>[]): boolean => {
    if (check(candidate, forgotten) !== 'linearizable') return false;
    if (culpritTiming && check(candidate, culpritsAnytime) !== 'linearizable') return false;
    if (allTiming === undefined && kept.length + culprits.length <= FULL_RELAXATION_LIMIT) {
      allTiming = check(kept, exact, true) === 'linearizable';
    }
    if (allTiming === true && check(candidate, exact, true) !== 'linearizable') return false;
    return check(candidate, exact) === 'violation';
  };

  let kept = initial;
  let chunk = Math.max(1, kept.length);
  while (kept.length > 0) {
    let dropped = false;
    for (let start = 0; start < kept.length; ) {
      if (budget.exhausted()) return finish(kept, culprits, false);
      const candidate = [...kept.slice(0, start), ...kept.slice(start + chunk)];
      if (accept(kept, candidate)) {
        kept = candidate;
        dropped = true;
      } else start += chunk;
    }
    // Halve the chunk; at single operations, sweep again until nothing more can go.
    if (chunk > 1) chunk = Math.min(chunk >>> 1, Math.max(1, kept.length));
    else if (!dropped) break;
  }
  return finish(kept, culprits, minimal);
}

function finish<Input, Output>(
  kept: readonly Operation<Input, Output>[],
  culprits: readonly Operation<Input, Output>[],
  minimal: boolean,
): Counterexample<Input, Output> {
  return { operations: [...kept, ...culprits].sort((a, b) => a.call - b.call), culprits, minimal, steps: 0 };
}

/** The operation with its real-time bounds removed: it may take effect at any point. */
function anytime<Input, Output>(op: SearchOperation<Input, Output>): SearchOperation<Input, Output> {
  return { ...op, call: -Infinity, return: Infinity };
}

function run<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly SearchOperation<Input, Output>[],
  budget: SearchBudget,
  size: number,
): SearchOutcome {
  // Out of budget: do not even prepare the operations.
  if (budget.exhausted()) return 'max-steps';
  return budget.within(Math.max(MIN_STEPS_PER_SEARCH, STEPS_PER_OP * size), (sub) =>
    searchLinearization(model, ops, sub).outcome,
  );
}
