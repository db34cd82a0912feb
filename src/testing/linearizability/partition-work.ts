import type { SearchBudget } from './budget.js';
import type { Model } from './model.js';
import { toSearchOperation } from './operation.js';
import { prepareOperations, type Prepared } from './prepare.js';
import { searchPrepared, type SearchResult } from './search.js';
import type { SplitPartition } from './split.js';

/**
 * What the check does to a partition the quick pass did not decide (by index in the
 * check's order): the model's preparation, then the full search, charging the check's
 * one budget. {@link LocalWork} does them on the calling thread; the parallel check
 * (parallel.ts) answers them from what other threads computed, so that both paths run
 * the very same decision loop (check.ts) and reach the same result.
 */
export interface PartitionWork {
  /** Readies the partition for the full search: the index of an operation the model proves impossible, or -1. */
  prepare(index: number): number;
  /** The full search of a partition {@link PartitionWork.prepare} readied. */
  search(index: number, budget: SearchBudget): SearchResult;
}

/** {@link PartitionWork} done on the calling thread. */
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

  prepare(index: number): number {
    const ready = prepareOperations(this.model, this.partitions[index]!.operations.map(toSearchOperation));
    this.prepared.set(index, ready);
    return ready.impossible ? ready.index : -1;
  }

  search(index: number, budget: SearchBudget): SearchResult {
    if (!this.prepared.has(index)) this.prepare(index);
    const ready = this.prepared.get(index)!;
    if (ready.impossible) return { outcome: 'violation', frontier: this.partitions[index]!.operations[ready.index]!.return, impossible: ready.index };
    return searchPrepared(this.model, ready.operations, budget, ready.before);
  }
}
