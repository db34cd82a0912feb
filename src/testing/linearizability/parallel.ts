import { availableParallelism } from 'node:os';
import type { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import { toSearchOperation } from './operation.js';
import { LocalWork, type PartitionWork } from './partition-work.js';
import { awaitShares, postShares } from './pool.js';
import type { SearchResult } from './search.js';
import { checkShare, FLAG_COUNT, FLAG_DECIDED, FLAG_IMPOSSIBLE, NONE, type PartitionReport, type SharedPartition } from './share.js';
import type { SplitPartition } from './split.js';

/** Settings of a parallel check (`CheckOptions.parallel`). */
export interface ParallelOptions {
  /**
   * The most threads checking partitions at once, the calling thread included. Default:
   * `os.availableParallelism()`. Never more than there are partitions.
   */
  readonly threads?: number;
  /**
   * The fewest operations (failed ones left out) for which a history is worth the hop to
   * other threads; smaller ones are checked on the calling thread. Default: 2 000.
   */
  readonly minOperations?: number;
}

/** Below this many operations in undecided partitions, copying them to another thread costs more than it saves. */
const DEFAULT_MIN_OPERATIONS = 1000;

/**
 * Whether `options.parallel` asks for a parallel check that could happen: the model has a
 * recipe and there are at least two partitions and two threads. The check then runs the
 * quick pass on every partition first, and {@link checkInParallel} decides on the rest.
 */
export function parallelRequested<State, Input, Output>(
  model: Model<State, Input, Output>,
  partitions: readonly SplitPartition<Input, Output>[],
  options: { readonly parallel?: boolean | ParallelOptions | undefined },
): boolean {
  const { parallel } = options;
  if (parallel === undefined || parallel === false || model.recipe === undefined || partitions.length < 2) return false;
  return threadsOf(parallel) >= 2;
}

function threadsOf(parallel: true | ParallelOptions): number {
  return (parallel === true ? undefined : parallel.threads) ?? availableParallelism();
}

/**
 * Starts the parallel part of a check (see `CheckOptions.parallel`) on the partitions the
 * quick pass left `undecided`, when it can pay (at least two of them, together at least
 * `minOperations` operations); otherwise returns `undefined` and the check goes on, on
 * the calling thread, as a serial one.
 *
 * Those partitions are dealt to threads (the calling one included), biggest first to the
 * least loaded; each thread prepares its partitions and searches them, each search with
 * all of the check's `maxSteps` (share.ts). The calling thread then blocks until the
 * others answer, and returns a {@link PartitionWork} that replays their answers in the
 * serial check's order, charging the check's budget exactly as the serial path would;
 * where an answer does not tell what the serial path would have found, it does that step
 * itself. So the result object is the serial one, `steps` included. Only the time limit
 * is read by each thread on its own clock (the workers': `performance.now()`), as timing
 * differs between any two runs anyway.
 *
 * @throws {@link ParallelCheckError} when a worker thread fails or cannot start.
 */
export function checkInParallel<State, Input, Output>(
  model: Model<State, Input, Output>,
  partitions: readonly SplitPartition<Input, Output>[],
  undecided: readonly number[],
  options: { readonly parallel?: boolean | ParallelOptions | undefined },
  budget: SearchBudget,
): PartitionWork | undefined {
  const { parallel } = options;
  if (parallel === undefined || parallel === false || model.recipe === undefined) return undefined;
  let total = 0;
  for (const i of undecided) total += partitions[i]!.operations.length;
  const threads = Math.min(threadsOf(parallel), undecided.length);
  if (threads < 2 || total < ((parallel === true ? undefined : parallel.minOperations) ?? DEFAULT_MIN_OPERATIONS)) return undefined;

  const shares = deal(partitions, undecided, threads);
  const flags = new Int32Array(new SharedArrayBuffer(FLAG_COUNT * Int32Array.BYTES_PER_ELEMENT));
  flags[FLAG_IMPOSSIBLE] = NONE;
  flags[FLAG_DECIDED] = NONE;
  const shared = (share: readonly number[]): SharedPartition<Input, Output>[] =>
    share.map((index) => ({ index, operations: partitions[index]!.operations.map(toSearchOperation) }));
  const now = budget.now ?? (() => 0);
  const deadlineAt = budget.deadline === Infinity ? Infinity : performance.timeOrigin + performance.now() + (budget.deadline - now());
  const recipe = model.recipe;
  const { threads: asked, id } = postShares(
    shares.slice(1).map((share) => ({ recipe, partitions: shared(share), maxSteps: budget.maxSteps, deadlineAt, flags: flags.buffer })),
  );
  let own: PartitionReport[];
  try {
    own = checkShare(model, shared(shares[0]!), flags, budget.maxSteps, budget.deadline, now);
  } catch (err) {
    Atomics.store(flags, FLAG_IMPOSSIBLE, -1); // the others stop at their next look
    throw err;
  }
  const reports: (PartitionReport | undefined)[] = [];
  for (const report of [own, ...awaitShares(asked, id, flags, deadlineAt)].flat()) reports[report.index] = report;
  return new ReplayedWork(new LocalWork(model, partitions), reports);
}

/** Deals partition indices to `threads` shares, biggest first to the least loaded; each share in index order. */
function deal(partitions: readonly SplitPartition<unknown, unknown>[], indices: readonly number[], threads: number): number[][] {
  const shares: number[][] = Array.from({ length: threads }, () => []);
  const loads: number[] = new Array<number>(threads).fill(0);
  const bySize = [...indices].sort((a, b) => partitions[b]!.operations.length - partitions[a]!.operations.length || a - b);
  for (const index of bySize) {
    let least = 0;
    for (let t = 1; t < threads; t++) if (loads[t]! < loads[least]!) least = t;
    shares[least]!.push(index);
    loads[least]! += partitions[index]!.operations.length;
  }
  return shares.map((share) => share.sort((a, b) => a - b));
}

/**
 * {@link PartitionWork} answered from the threads' reports, replayed in the serial order:
 * a search's report is used when the serial check would have let it run at least as far
 * as the thread did (a search's course does not depend on its budget until the budget
 * stops it); a step with no report that counts is done here, on the calling thread.
 */
class ReplayedWork implements PartitionWork {
  private readonly local: PartitionWork;
  private readonly reports: readonly (PartitionReport | undefined)[];

  constructor(local: PartitionWork, reports: readonly (PartitionReport | undefined)[]) {
    this.local = local;
    this.reports = reports;
  }

  prepare(index: number): number {
    return this.reports[index]?.impossible ?? this.local.prepare(index);
  }

  search(index: number, budget: SearchBudget): SearchResult {
    const report = this.reports[index];
    if (report?.search === undefined) return this.local.search(index, budget);
    const steps = report.searchSteps!;
    const room = Math.max(budget.maxSteps - budget.steps, 0);
    if (report.search === 'max-steps' || steps > room) {
      // The serial search would have gone the same way until its (room + 1)th step, which stops it.
      budget.steps += room + 1;
      return { outcome: 'max-steps', frontier: -Infinity };
    }
    budget.steps += steps;
    return { outcome: report.search, frontier: report.frontier! };
  }
}
