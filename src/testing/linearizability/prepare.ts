import { formatValue } from './explain.js';
import type { Model } from './model.js';
import type { SearchOperation } from './operation.js';

/** What {@link prepareOperations} returns. */
export type Prepared<Input, Output> =
  | {
      /** Discriminant: the operations are ready to search. */
      readonly impossible: false;
      /** The operations in canonical order. */
      readonly operations: readonly SearchOperation<Input, Output>[];
      /** Pairs of (required) operations where the first must be linearized before the second. */
      readonly before: readonly (readonly [SearchOperation<Input, Output>, SearchOperation<Input, Output>])[];
    }
  | {
      /** Discriminant: the model proved the history non-linearizable. */
      readonly impossible: true;
      /** The index, in the input, of an operation no order can explain. */
      readonly index: number;
    };

/**
 * Readies operations for the search: the model's {@link Model.simplify}, then dropping
 * unknown operations that change nothing ({@link Model.isPure}: they constrain nothing),
 * then a canonical order, so that the search (and its time) does not depend on the order
 * in which the history lists its operations.
 *
 * The canonical order is by call time, then return time (unknown last), then by the
 * operation's content; operations equal in all of these are interchangeable.
 */
export function prepareOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly SearchOperation<Input, Output>[],
): Prepared<Input, Output> {
  let list = ops;
  let before: (readonly [SearchOperation<Input, Output>, SearchOperation<Input, Output>])[] = [];
  if (model.simplify !== undefined) {
    const simplified = model.simplify(ops);
    if (simplified.impossible) return simplified;
    list = simplified.operations;
    before = (simplified.before ?? []).map(([a, b]) => [list[a]!, list[b]!] as const);
  }
  const isPure = model.isPure?.bind(model);
  const kept = isPure === undefined ? [...list] : list.filter((op) => op.required || !isPure(op.input, undefined));
  return { impossible: false, operations: canonicalOrder(kept), before };
}

function canonicalOrder<Input, Output>(ops: SearchOperation<Input, Output>[]): SearchOperation<Input, Output>[] {
  const content = new Map<SearchOperation<Input, Output>, string>();
  const contentOf = (op: SearchOperation<Input, Output>): string => {
    let text = content.get(op);
    if (text === undefined) {
      text = `${formatValue(op.input)}\u0000${formatValue(op.output)}`;
      content.set(op, text);
    }
    return text;
  };
  const end = (op: SearchOperation<Input, Output>): number => (op.required ? op.return : Infinity);
  return ops.sort((a, b) => {
    if (a.call !== b.call) return a.call < b.call ? -1 : 1;
    const ea = end(a);
    const eb = end(b);
    if (ea !== eb) return ea < eb ? -1 : 1;
    const ca = contentOf(a);
    const cb = contentOf(b);
    return ca < cb ? -1 : ca > cb ? 1 : 0;
  });
}
