import type { Simplified } from './model.js';
import type { SearchOperation } from './operation.js';

/**
 * How a register-like model's operations relate to the values the object holds, for
 * {@link simplifyByValues}. Values are compared with `===` (a KV model folds the key in).
 *
 * @template Input - what a client asks for.
 * @template Output - what a client observes.
 */
export interface ValueView<Input, Output> {
  /** The values `input` may write (whatever its output). */
  writes(input: Input): readonly unknown[];
  /**
   * A value the state certainly held when a completed operation with this output took
   * effect (a read's value, a successful compare-and-set's expected value), or `undefined`.
   */
  observed(input: Input, output: Output): unknown;
  /** The values `input` compares the state with (whatever its output). */
  mentions(input: Input): readonly unknown[];
  /** Whether `input` overwrites the state with its single written value, whatever the state. */
  blindWrite(input: Input): boolean;
  /**
   * Whether this operation can tell "some unobserved value" from the value before it (a
   * compare-and-set that reports no swap, a delete that reports whether the key existed):
   * its presence forbids dropping unobserved unknown writes.
   */
  blocksDrops(input: Input, output: Output | undefined): boolean;
  /**
   * Whether this operation can tell two unobserved values apart (an order comparison):
   * its presence forbids merging them.
   */
  ordersValues(input: Input): boolean;
  /** `input` (a blind write) made to write the value `like` (another blind write) writes. */
  rename(input: Input, like: Input): Input;
  /** The state's value before any write (it needs no writer). */
  readonly initial: unknown;
}

/**
 * Sound simplifications for models whose state is one value at a time (a register, one
 * key of a KV store):
 *
 * 1. **Impossible reads.** A completed operation that observed a value nobody may write
 *    (and that is not the initial value) cannot be explained by any order: the history
 *    is not linearizable, whatever else happens. This is decided before any search.
 * 2. **Deadlines from observers.** If exactly one operation may write a value and a
 *    completed operation observed the value, then the writer took effect before the
 *    first such observer returned: that return becomes the writer's deadline (if
 *    earlier), and an unknown writer becomes required (its output stays unknown). The
 *    earlier deadlines also steer the earliest-deadline-first search.
 * 3. **Dropped unknowns.** An unknown blind write of a value nobody observes or compares
 *    with, in a history without drop blockers, can be left out: in any linearization
 *    that includes it, the operations between it and the next write see its value, so
 *    (with no observer and no blocker) they are reads and writes unaffected by removing it.
 * 4. **Merged values.** Values that are written but never observed, compared with or
 *    ordered, and are not the initial value, are indistinguishable to every operation:
 *    blind writes of them are renamed to write one of them, so the search sees one state
 *    where there were many, and identical unknown writes are interchangeable.
 */
export function simplifyByValues<Input, Output>(
  ops: readonly SearchOperation<Input, Output>[],
  view: ValueView<Input, Output>,
): Simplified<Input, Output> {
  const writers = new Map<unknown, number[]>();
  const observers = new Map<unknown, number[]>();
  const seen = new Set<unknown>();
  const mentioned = new Set<unknown>();
  let blocked = false;
  ops.forEach((op, i) => {
    for (const v of view.writes(op.input)) push(writers, v, i);
    for (const v of view.mentions(op.input)) mentioned.add(v);
    if (view.blocksDrops(op.input, op.output)) blocked = true;
    if (op.output === undefined || !op.required) return;
    const v = view.observed(op.input, op.output);
    if (v === undefined) return;
    seen.add(v);
    if (v !== view.initial) push(observers, v, i);
  });

  const deadline = new Map<number, number>();
  let impossible = -1;
  for (const [v, list] of observers) {
    const first = list.reduce((a, b) => (ops[b]!.return < ops[a]!.return ? b : a));
    const ws = writers.get(v);
    if (ws === undefined) {
      if (impossible < 0 || ops[first]!.return < ops[impossible]!.return) impossible = first;
      continue;
    }
    const w = ws[0]!;
    if (ws.length !== 1) continue;
    const by = ops[first]!.return;
    if (ops[w]!.required && ops[w]!.return <= by) continue;
    deadline.set(w, Math.min(by, deadline.get(w) ?? Infinity));
  }
  if (impossible >= 0) return { impossible: true, index: impossible };

  const droppable = (op: SearchOperation<Input, Output>, i: number): boolean =>
    !blocked &&
    !op.required &&
    !deadline.has(i) &&
    view.blindWrite(op.input) &&
    view.writes(op.input).every((v) => !seen.has(v) && !mentioned.has(v));
  const ordered = ops.some((op) => view.ordersValues(op.input));
  const unobserved = (op: SearchOperation<Input, Output>): boolean =>
    !ordered &&
    view.blindWrite(op.input) &&
    view.writes(op.input).every((v) => v !== view.initial && !seen.has(v) && !mentioned.has(v));
  let like: Input | undefined;
  const operations: SearchOperation<Input, Output>[] = [];
  ops.forEach((op, i) => {
    const by = deadline.get(i);
    if (by !== undefined) operations.push({ ...op, required: true, return: Math.max(op.call, by) });
    else if (droppable(op, i)) return;
    else if (unobserved(op)) {
      like ??= op.input;
      operations.push({ ...op, input: view.rename(op.input, like) });
    } else operations.push(op);
  });
  return { impossible: false, operations };
}

function push(map: Map<unknown, number[]>, key: unknown, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}
