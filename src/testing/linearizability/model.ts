import type { Operation, SearchOperation } from './operation.js';

/**
 * A {@link StepResult} saying the operation's output is possible.
 *
 * @template State - the model's state.
 */
export interface StepAccepted<State> {
  /** Always `true`. */
  readonly ok: true;
  /** The state after the operation. */
  readonly state: State;
}

/** A {@link StepResult} saying the operation's output is not possible from the state. */
export interface StepRejected {
  /** Always `false`. */
  readonly ok: false;
}

/**
 * The result of applying one operation to a model state: either the operation's output
 * is possible from `state` (and `state` is the state after it), or it is not.
 *
 * @template State - the model's state.
 */
export type StepResult<State> = StepAccepted<State> | StepRejected;

/**
 * What {@link Model.simplify} returns: either an equivalent, smaller list of search
 * operations, or the index of a required operation that no order can explain.
 *
 * @template Input - what a client asks for.
 * @template Output - what a client observes.
 */
export type Simplified<Input, Output> =
  | {
      /** Discriminant: the operations were simplified. */
      readonly impossible: false;
      /** Operations equivalent to the input ones (the history is linearizable iff these are). */
      readonly operations: readonly SearchOperation<Input, Output>[];
      /**
       * Optional order constraints `[a, b]` (indices into `operations`, both required) that
       * hold in every linearization: `a` is linearized before `b`.
       */
      readonly before?: readonly (readonly [number, number])[];
    }
  | {
      /** Discriminant: the history cannot be linearizable. */
      readonly impossible: true;
      /** The index (in the input) of a required operation whose output no order of the others can produce. */
      readonly index: number;
    };

/** One independent sub-history of a partitioned history (for example, all operations on one key). */
export interface HistoryPartition<Input, Output> {
  /** A name for the partition, shown in results (for the KV model: the key). */
  readonly key: string;
  /** The operations of this partition. */
  readonly operations: readonly Operation<Input, Output>[];
}

/**
 * A sequential specification the checker compares a history against: the object the
 * clients believe they share, written as a pure state machine.
 *
 * States must be immutable values: `step` returns a new state and never modifies its
 * argument, because the search keeps old states to backtrack to.
 *
 * @template State - the model's state (immutable).
 * @template Input - what a client asks for.
 * @template Output - what a client observes.
 */
export interface Model<State, Input, Output> {
  /** The state before any operation. */
  init(): State;
  /**
   * Applies `input` to `state` and says whether `output` is a possible result.
   *
   * `output` is `undefined` when the operation's outcome is unknown: the model must
   * then accept (apply the effect and return `ok: true`), since any output is allowed.
   */
  step(state: State, input: Input, output: Output | undefined): StepResult<State>;
  /**
   * A string that identifies a state, used to memoize the search. Two states with the
   * same hash are treated as equal unless {@link Model.equal} says otherwise.
   */
  hash(state: State): string;
  /** Optional exact equality for states whose hashes collide; defaults to comparing hashes. */
  equal?(a: State, b: State): boolean;
  /**
   * Optional split of a history into independent sub-histories that are checked one by
   * one (P-compositionality: a history is linearizable iff every partition is). Return
   * the partitions in a stable order. A model that partitions by a key of each input
   * declares {@link Model.partitionKey} instead.
   */
  partition?(operations: readonly Operation<Input, Output>[]): readonly HistoryPartition<Input, Output>[];
  /**
   * Optional: the key of the operation's partition, for a model whose partitions are the
   * operations with equal keys (as {@link Model.partition} would return them with
   * {@link partitionBy}). The checker then splits the history itself, in the same pass
   * that validates it, and never calls `partition`: a model declares one of the two.
   * `partitionBy(operations, (input) => model.partitionKey(input))` gives the partitions.
   */
  partitionKey?(input: Input): string;
  /**
   * Optional: whether the operation, with this output (`undefined` when unknown), leaves
   * every state in which `step` accepts it unchanged (a read, a compare-and-set that
   * reports no swap). The search then linearizes such an operation as soon as it can,
   * without branching, since moving it earlier never hurts; unknown ones are dropped.
   * Returning `true` wrongly makes verdicts wrong; omitting the method is always safe.
   */
  isPure?(input: Input, output: Output | undefined): boolean;
  /**
   * Optional, sound simplification of (one partition of) a history before the search:
   * for example, dropping unknown writes whose value nobody can observe, requiring an
   * unknown write by the time its value is first read, or proving that a read of a value
   * nobody writes is impossible. The result must be linearizable exactly when the input is.
   */
  simplify?(operations: readonly SearchOperation<Input, Output>[]): Simplified<Input, Output>;
  /** Optional one-line rendering of an operation; `output` is `undefined` when unknown. */
  describeOperation?(input: Input, output: Output | undefined): string;
  /**
   * Optional: how another thread builds this same model, for a parallel check
   * (`CheckOptions.parallel`); a model without a recipe is always checked on the calling
   * thread. `registerModel` and `kvModel` have one.
   */
  readonly recipe?: ModelRecipe;
}

/**
 * How a worker thread rebuilds a {@link Model} (functions cannot cross threads): it
 * imports `module`, calls its export `factory` with `args`, and uses the result, which
 * must behave exactly as the model it stands for.
 */
export interface ModelRecipe {
  /**
   * The module exporting `factory`: an absolute `file:` URL or a package name the worker
   * can import. Omitted for the models of `raftkit/testing` itself (`registerModel`,
   * `kvModel`).
   */
  readonly module?: string;
  /** The name of the exported function that returns the model. */
  readonly factory: string;
  /** Its arguments (copied to the thread with the structured clone algorithm). Default: none. */
  readonly args?: readonly unknown[];
}

/**
 * Splits `operations` by `keyOf(input)`, keeping each partition in history order and
 * the partitions in order of first appearance. A helper for {@link Model.partition}.
 */
export function partitionBy<Input, Output>(
  operations: readonly Operation<Input, Output>[],
  keyOf: (input: Input) => string,
): HistoryPartition<Input, Output>[] {
  const byKey = new Map<string, Operation<Input, Output>[]>();
  for (const op of operations) {
    const key = keyOf(op.input);
    let list = byKey.get(key);
    if (list === undefined) {
      list = [];
      byKey.set(key, list);
    }
    list.push(op);
  }
  return [...byKey].map(([key, ops]) => ({ key, operations: ops }));
}
