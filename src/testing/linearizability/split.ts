import type { HistoryPartition, Model } from './model.js';
import type { Operation, SearchOperation } from './operation.js';
import { quickOperation } from './quick.js';
import { validateHistory, validateOperation } from './validate.js';

/** One partition of a checked history, with its operations as the quick pass searches them when already built. */
export interface SplitPartition<Input, Output> extends HistoryPartition<Input, Output> {
  /** The quick pass's operations (see `quickOperations`), built while splitting; `undefined` if not. */
  readonly search: SearchOperation<Input, Output>[] | undefined;
}

/**
 * Validates `history` (throwing `HistoryFormatError` on the first malformed operation),
 * drops failed operations and splits the rest into the model's partitions (one when the
 * model does not partition). With {@link Model.partitionKey}, all of it is one pass over
 * the operations, which also builds what the quick pass searches: a large history's
 * operations lie all over the heap, and each pass over them costs a cache miss apiece.
 */
export function splitHistory<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
): SplitPartition<Input, Output>[] {
  // Without a partition, all operations are in one partition, keyed ''.
  const keyOf = model.partitionKey?.bind(model) ?? (model.partition === undefined ? () => '' : undefined);
  if (keyOf === undefined) {
    const live = validateHistory(history);
    return (model.partition?.(live) ?? []).map(({ key, operations }) => ({ key, operations, search: undefined }));
  }
  if (!Array.isArray(history)) validateHistory(history);
  type Part = { key: string; operations: Operation<Input, Output>[]; search: SearchOperation<Input, Output>[] };
  const byKey = new Map<string, Part>();
  // Runs of operations on one key are common: the last partition is looked up first.
  let last: Part | undefined;
  for (let i = 0; i < history.length; i++) {
    const op = history[i]!;
    if (!validateOperation(op, i)) continue;
    const key = keyOf(op.input);
    let part = last !== undefined && last.key === key ? last : byKey.get(key);
    if (part === undefined) {
      part = { key, operations: [], search: [] };
      byKey.set(key, part);
    }
    last = part;
    part.operations.push(op);
    const search = quickOperation(model, op);
    if (search !== undefined) part.search.push(search);
  }
  return byKey.size === 0 && model.partitionKey === undefined ? [{ key: '', operations: [], search: [] }] : [...byKey.values()];
}
