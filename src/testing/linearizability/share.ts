import { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import type { SearchOperation } from './operation.js';
import { prepareOperations, type Prepared } from './prepare.js';
import { searchPrepared, type SearchOutcome } from './search.js';

/** One partition handed to a thread: its index in the check's order and its operations (all of them, as the search sees them, in history order). */
export interface SharedPartition<Input, Output> {
  /** The partition's index in the check's order. */
  readonly index: number;
  /** Every operation of the partition (`toSearchOperation`), in history order. */
  readonly operations: readonly SearchOperation<Input, Output>[];
}

/**
 * What a thread found on one partition the quick pass left undecided: the full search,
 * with all of the check's `maxSteps` (a serial check never gives it more). The calling
 * thread replays these in the serial order (parallel.ts).
 */
export interface PartitionReport {
  /** The partition's index in the check's order. */
  readonly index: number;
  /** The full search's outcome. */
  readonly search: SearchOutcome;
  /** Steps the full search took. */
  readonly searchSteps: number;
  /** The full search's frontier (see `SearchResult.frontier`). */
  readonly frontier: number;
}

/**
 * Shared flags of one parallel check (an `Int32Array` over a `SharedArrayBuffer`): set
 * (from {@link NONE}) when every thread must stop (the calling thread failed); the lowest
 * partition index whose full search ended other than linearizable ({@link NONE} until
 * found); and how many worker threads have finished.
 */
export const FLAG_ABORT = 0;
/** See {@link FLAG_ABORT}. */
export const FLAG_DECIDED = 1;
/** See {@link FLAG_ABORT}. */
export const FLAG_FINISHED = 2;
/** How many `Int32` flags a check shares. */
export const FLAG_COUNT = 3;
/** "Not found yet" in the index flags. */
export const NONE = 0x7fffffff;

/** Lowers `flags[at]` to `value` if it is higher (an atomic minimum). */
function lowerTo(flags: Int32Array, at: number, value: number): void {
  for (let seen = Atomics.load(flags, at); value < seen; seen = Atomics.load(flags, at)) {
    if (Atomics.compareExchange(flags, at, seen, value) === seen) return;
  }
}

/**
 * Searches one thread's share of a parallel check's partitions, in index order, each once
 * readied (by default the model's preparation, as the calling thread did before). A serial
 * check stops at its first full search that does not find a partition linearizable, so
 * once any thread has found one at a lower index, the work above it is skipped (or its
 * search stopped): its result cannot matter. A partition with no report is searched again
 * by the calling thread.
 *
 * @param model - the model.
 * @param share - this thread's partitions, in index order.
 * @param flags - the check's shared flags.
 * @param maxSteps - the check's `maxSteps` (each full search gets all of it).
 * @param deadline - the clock reading after which to stop (`Infinity` for none).
 * @param now - the clock.
 * @param readied - the partition ready to search.
 */
export function checkShare<State, Input, Output>(
  model: Model<State, Input, Output>,
  share: readonly SharedPartition<Input, Output>[],
  flags: Int32Array,
  maxSteps: number,
  deadline: number,
  now: () => number,
  readied: (partition: SharedPartition<Input, Output>) => Prepared<Input, Output> = (partition) => prepareOperations(model, partition.operations),
): PartitionReport[] {
  const reports: PartitionReport[] = [];
  for (const partition of share) {
    const { index } = partition;
    const stop = (): boolean => Atomics.load(flags, FLAG_ABORT) !== NONE || Atomics.load(flags, FLAG_DECIDED) < index;
    if (stop()) break;
    const prepared = readied(partition);
    if (prepared.impossible) continue; // the calling thread found it possible: let it see for itself
    const budget = new SearchBudget(maxSteps, deadline, now, stop);
    const { outcome, frontier } = searchPrepared(model, prepared.operations, budget, prepared.before);
    if (outcome === 'time-limit' && stop()) break;
    if (outcome !== 'linearizable') lowerTo(flags, FLAG_DECIDED, index);
    reports.push({ index, search: outcome, searchSteps: budget.steps, frontier });
  }
  return reports;
}
