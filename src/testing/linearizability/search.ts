import { Bitset } from './bitset.js';
import type { BudgetExhaustion, SearchBudget } from './budget.js';
import type { Model } from './model.js';

/**
 * One operation as the search sees it: times, input, output, and whether it must be
 * linearized. Unknown-outcome operations have `required: false` and no return event;
 * the search may linearize them anywhere after their call, or leave them out.
 */
export interface SearchOperation<Input, Output> {
  /** What the client asked for. */
  readonly input: Input;
  /** What the client saw, or `undefined` when unknown (the model must accept any output). */
  readonly output: Output | undefined;
  /** The call time. */
  readonly call: number;
  /** The return time (may be `Infinity`); ignored when `required` is false. */
  readonly return: number;
  /** Whether the operation definitely took effect and so must appear in the linearization. */
  readonly required: boolean;
}

/** The verdict of one search. */
export type SearchOutcome = 'linearizable' | 'violation' | BudgetExhaustion;

const NIL = -1;

/**
 * The call/return events of a history as a doubly linked list in time order (calls
 * before returns at equal times, so touching intervals count as concurrent). Linearizing
 * an operation "lifts" its call and return out of the list; backtracking puts them back
 * in the reverse order (dancing links), so both are O(1).
 */
class EventList {
  /** `next[e]`/`prev[e]` link event `e`; index `head` is the sentinel. */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation of event `e`. */
  readonly opOf: Int32Array;
  /** For a call event: its return event, or `NIL` if the operation has none; `NIL` for return events. */
  readonly returnOf: Int32Array;
  /** Whether event `e` is a call. */
  readonly isCall: Uint8Array;
  readonly head: number;

  constructor(ops: readonly SearchOperation<unknown, unknown>[]) {
    const times: number[] = [];
    const opOf: number[] = [];
    const isCall: number[] = [];
    ops.forEach((op, i) => {
      times.push(op.call);
      opOf.push(i);
      isCall.push(1);
      if (op.required) {
        times.push(op.return);
        opOf.push(i);
        isCall.push(0);
      }
    });
    const order = times.map((_, e) => e);
    order.sort((a, b) => compareTimes(times[a]!, times[b]!) || isCall[b]! - isCall[a]! || opOf[a]! - opOf[b]!);
    const count = order.length;
    this.head = count;
    this.next = new Int32Array(count + 1).fill(NIL);
    this.prev = new Int32Array(count + 1).fill(NIL);
    this.opOf = new Int32Array(count);
    this.isCall = new Uint8Array(count);
    this.returnOf = new Int32Array(count).fill(NIL);
    const callEvent = new Int32Array(ops.length);
    let last = this.head;
    order.forEach((original, e) => {
      this.opOf[e] = opOf[original]!;
      this.isCall[e] = isCall[original]!;
      if (isCall[original] === 1) callEvent[opOf[original]!] = e;
      else this.returnOf[callEvent[opOf[original]!]!] = e;
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    });
  }

  /** Unlinks call event `e` and its return event. */
  lift(e: number): void {
    this.unlink(e);
    const r = this.returnOf[e]!;
    if (r !== NIL) this.unlink(r);
  }

  /** Relinks call event `e` and its return event; the exact inverse of the last `lift`. */
  unlift(e: number): void {
    const r = this.returnOf[e]!;
    if (r !== NIL) this.relink(r);
    this.relink(e);
  }

  private unlink(e: number): void {
    const p = this.prev[e]!;
    const n = this.next[e]!;
    this.next[p] = n;
    if (n !== NIL) this.prev[n] = p;
  }

  private relink(e: number): void {
    const p = this.prev[e]!;
    const n = this.next[e]!;
    this.next[p] = e;
    if (n !== NIL) this.prev[n] = e;
  }
}

/** Orders times, including `-Infinity`/`Infinity` (whose difference would be NaN). */
function compareTimes(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Memo of configurations already explored: (set of linearized operations, model
 * state). Reaching a configuration twice cannot lead anywhere new, so the search prunes it.
 */
class ConfigurationCache<State> {
  private readonly slots = new Map<string, { words: Uint32Array; state: State }[]>();
  private readonly equal: ((a: State, b: State) => boolean) | undefined;

  constructor(equal: ((a: State, b: State) => boolean) | undefined) {
    this.equal = equal;
  }

  /** Records the configuration; returns false if it was already there. */
  add(linearized: Bitset, stateHash: string, state: State): boolean {
    const key = `${linearized.hash}:${stateHash}`;
    let bucket = this.slots.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.slots.set(key, bucket);
    }
    for (const slot of bucket) {
      if (linearized.equals(slot.words) && (this.equal === undefined || this.equal(slot.state, state))) return false;
    }
    bucket.push({ words: linearized.snapshot(), state });
    return true;
  }
}

/**
 * Decides whether `ops` is linearizable with respect to `model`, by Wing & Gong's
 * search with Lowe's just-in-time linearization and memoization (as Porcupine and
 * Knossos do).
 *
 * The search walks the event list from the front. At a call event it tries to
 * linearize that operation now: if the model accepts its output and the resulting
 * configuration is new, it lifts the operation out of the list, pushes the old state,
 * and restarts from the front. At a return event of an operation not yet linearized
 * (or at the end of the list) it has failed to place that operation in time, so it
 * pops the last choice and tries the next candidate after it. It succeeds as soon as
 * every required operation is linearized, and fails when it must backtrack with an
 * empty stack. The stack is explicit: histories can be far deeper than the JS stack.
 */
export function searchLinearization<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly SearchOperation<Input, Output>[],
  budget: SearchBudget,
): SearchOutcome {
  let remaining = 0;
  for (const op of ops) if (op.required) remaining++;
  if (remaining === 0) return 'linearizable';

  const events = new EventList(ops);
  const { next, opOf, isCall, head } = events;
  const linearized = new Bitset(ops.length);
  const cache = new ConfigurationCache<State>(model.equal?.bind(model));
  const stackEvent: number[] = [];
  const stackState: State[] = [];
  let state = model.init();
  let e = next[head]!;

  for (;;) {
    if (e !== NIL && isCall[e] === 1) {
      const stop = budget.charge();
      if (stop !== undefined) return stop;
      const id = opOf[e]!;
      const op = ops[id]!;
      const result = model.step(state, op.input, op.output);
      if (result.ok) {
        linearized.add(id);
        if (cache.add(linearized, model.hash(result.state), result.state)) {
          stackEvent.push(e);
          stackState.push(state);
          state = result.state;
          events.lift(e);
          if (op.required && --remaining === 0) return 'linearizable';
          e = next[head]!;
          continue;
        }
        linearized.remove(id);
      }
      e = next[e]!;
      continue;
    }
    // A return event of an operation we failed to linearize, or the end of the list: backtrack.
    const back = stackEvent.pop();
    if (back === undefined) return 'violation';
    state = stackState.pop()!;
    const id = opOf[back]!;
    linearized.remove(id);
    if (ops[id]!.required) remaining++;
    events.unlift(back);
    e = next[back]!;
  }
}
