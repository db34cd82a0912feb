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
  /** Whether two operations act on the same object (the same KV key); always true for a register. */
  sameObject(a: Input, b: Input): boolean;
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
 * 3b. **Writes before a value's writer.** A required blind write that takes effect before
 *    an observer of value `a` is called must come before `a`'s unique writer (else it
 *    would overwrite `a` before the observer): the pair is returned in `before`, and the
 *    blind write's deadline becomes the writer's.
 * 4. **Merged values.** Values that are written but never observed, compared with or
 *    ordered, and are not the initial value, are indistinguishable to every operation:
 *    blind writes of them (on the same object) all become the first such write's input,
 *    so the search sees one state where there were many, and identical writes are twins.
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
  const written = ops.map((op) => view.writes(op.input));
  ops.forEach((op, i) => {
    for (const v of written[i]!) push(writers, v, i);
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
    written[i]!.every((v) => !seen.has(v) && !mentioned.has(v));
  const ordered = ops.some((op) => view.ordersValues(op.input));
  const unobserved = (op: SearchOperation<Input, Output>, i: number): boolean =>
    !ordered &&
    view.blindWrite(op.input) &&
    written[i]!.every((v) => v !== view.initial && !seen.has(v) && !mentioned.has(v));
  const pairs = writesBefore(ops, view, observers, writers, deadline);
  let like: Input | undefined;
  const operations: SearchOperation<Input, Output>[] = [];
  const index = new Int32Array(ops.length).fill(-1);
  ops.forEach((op, i) => {
    const by = deadline.get(i);
    if (droppable(op, i)) return;
    index[i] = operations.length;
    // One shared input object per merged value, so the search can tell twins by identity.
    like ??= unobserved(op, i) ? op.input : undefined;
    const input = like !== undefined && unobserved(op, i) && view.sameObject(op.input, like) ? like : op.input;
    if (by !== undefined) operations.push({ ...op, input, required: true, return: Math.max(op.call, by) });
    else operations.push(input === op.input ? op : { ...op, input });
  });
  const before = pairs.map(([j, w]) => [index[j]!, index[w]!] as const);
  return { impossible: false, operations, before };
}

/**
 * Rule 3b: pairs `[j, w]` where required blind write `j` must precede `w`, the unique
 * writer of a value observed after `j` took effect; tightens `deadline` of each `j` to `w`'s.
 */
function writesBefore<Input, Output>(
  ops: readonly SearchOperation<Input, Output>[],
  view: ValueView<Input, Output>,
  observers: ReadonlyMap<unknown, number[]>,
  writers: ReadonlyMap<unknown, number[]>,
  deadline: Map<number, number>,
): [number, number][] {
  const due = (i: number): number => deadline.get(i) ?? (ops[i]!.required ? ops[i]!.return : Infinity);
  const blind = ops.flatMap((op, i) => (op.required && view.blindWrite(op.input) ? [i] : [])).sort((a, b) => due(a) - due(b));
  const dues = blind.map(due);
  const pairs: [number, number][] = [];
  const tightened = new Map<number, number>();
  for (const [v, list] of observers) {
    const ws = writers.get(v);
    if (ws?.length !== 1) continue;
    const w = ws[0]!;
    const lastCall = Math.max(...list.map((o) => ops[o]!.call));
    // Blind writes due before w is called already precede it in real time.
    for (let k = lowerBound(dues, ops[w]!.call); k < blind.length && dues[k]! < lastCall; k++) {
      const j = blind[k]!;
      if (j === w || !view.sameObject(ops[j]!.input, ops[w]!.input)) continue;
      pairs.push([j, w]);
      tightened.set(j, Math.min(tightened.get(j) ?? Infinity, due(w)));
    }
  }
  for (const [j, by] of tightened) if (by < due(j)) deadline.set(j, by);
  return pairs;
}

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function push(map: Map<unknown, number[]>, key: unknown, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}
