import type { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import { toSearchOperation } from './operation.js';
import { prepareOperations, type Prepared } from './prepare.js';
import { searchPrepared, type SearchResult } from './search.js';
import type { SplitPartition } from './split.js';

/**
 * The full search of a partition the quick pass did not decide (by index in the check's
 * order), charging the check's one budget. {@link LocalWork} does it on the calling
 * thread; the parallel check (parallel.ts) answers from what other threads computed, so
 * that both paths run the very same decision loop (check.ts) and reach the same result.
 */
export interface PartitionWork {
  /** The full search of a partition (readied by {@link LocalWork.prepare}). */
  search(index: number, budget: SearchBudget): SearchResult;
}

/** {@link PartitionWork} done on the calling thread, and the preparation of partitions for it. */
export class LocalWork<State, Input, Output> implements PartitionWork {
  private readonly model: Model<State, Input, Output>;
  private readonly partitions: readonly SplitPartition<Input, Output>[];
  private readonly prepared = new Map<number, Prepared<Input, Output>>();

  /**
   * @param model - the model.
   * @param partitions - the partitions, in the check's order.
   */
  constructor(model: Model<State, Input, Output>, partitions: readonly SplitPartition<Input, Output>[]) {
    this.model = model;
    this.partitions = partitions;
  }

  /** Readies partition `index` for the full search: the index of an operation the model proves impossible, or -1. */
  prepare(index: number): number {
    const ready = this.readied(index);
    return ready.impossible ? ready.index : -1;
  }

  /** Partition `index` as {@link LocalWork.prepare} readied it (readying it now if need be). */
  readied(index: number): Prepared<Input, Output> {
    let ready = this.prepared.get(index);
    if (ready === undefined) {
      ready = prepareOperations(this.model, this.partitions[index]!.operations.map(toSearchOperation));
      this.prepared.set(index, ready);
    }
    return ready;
  }

  search(index: number, budget: SearchBudget): SearchResult {
    const ready = this.readied(index);
    if (ready.impossible) return { outcome: 'violation', frontier: this.partitions[index]!.operations[ready.index]!.return, impossible: ready.index };
    return searchPrepared(this.model, ready.operations, budget, ready.before);
  }
}
