import type { SearchOperation } from './operation.js';

/** The "no event" / "no operation" link value. */
export const NIL = -1;

/**
 * The call/return events of the required operations as a doubly linked list in time
 * order (calls before returns at equal times, so touching intervals count as concurrent).
 * Linearizing an operation lifts its call and return out of the list; backtracking puts
 * them back in the reverse order (dancing links), so both are O(1).
 */
export class EventList {
  /** `next[e]`/`prev[e]` link event `e`; index `head` is the sentinel. */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation of event `e`. */
  readonly opOf: Int32Array;
  /** Whether event `e` is a call. */
  readonly isCall: Uint8Array;
  /** The time of event `e`. */
  readonly time: Float64Array;
  /** The call event of operation `i`, and its return event. */
  readonly callOf: Int32Array;
  readonly returnOf: Int32Array;
  readonly head: number;

  constructor(ops: readonly SearchOperation<unknown, unknown>[]) {
    const count = ops.length * 2;
    const order = Array.from({ length: count }, (_, e) => e);
    const t = (e: number): number => (e & 1 ? ops[e >> 1]!.return : ops[e >> 1]!.call);
    // Even raw events are calls, odd ones returns; ties: calls first, then by operation.
    order.sort((a, b) => compareTimes(t(a), t(b)) || (a & 1) - (b & 1) || (a >> 1) - (b >> 1));
    this.head = count;
    this.next = new Int32Array(count + 1).fill(NIL);
    this.prev = new Int32Array(count + 1).fill(NIL);
    this.opOf = new Int32Array(count);
    this.isCall = new Uint8Array(count);
    this.time = new Float64Array(count);
    this.callOf = new Int32Array(ops.length);
    this.returnOf = new Int32Array(ops.length);
    let last = this.head;
    order.forEach((raw, e) => {
      const op = raw >> 1;
      this.opOf[e] = op;
      this.time[e] = t(raw);
      if ((raw & 1) === 0) {
        this.isCall[e] = 1;
        this.callOf[op] = e;
      } else this.returnOf[op] = e;
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    });
  }

  /** Unlinks operation `i`'s call and return events. */
  lift(i: number): void {
    unlink(this.next, this.prev, this.callOf[i]!);
    unlink(this.next, this.prev, this.returnOf[i]!);
  }

  /** Relinks operation `i`'s events; the exact inverse of the last `lift`. */
  unlift(i: number): void {
    relink(this.next, this.prev, this.returnOf[i]!);
    relink(this.next, this.prev, this.callOf[i]!);
  }
}

/** Unlinks `e` from a doubly linked list over `next`/`prev` (its own links are kept, for `relink`). */
export function unlink(next: Int32Array, prev: Int32Array, e: number): void {
  const p = prev[e]!;
  const n = next[e]!;
  next[p] = n;
  if (n !== NIL) prev[n] = p;
}

/** Puts `e` back where `unlink` took it from (undo in reverse order). */
export function relink(next: Int32Array, prev: Int32Array, e: number): void {
  const p = prev[e]!;
  const n = next[e]!;
  next[p] = e;
  if (n !== NIL) prev[n] = e;
}

/** Orders times, including `-Infinity`/`Infinity` (whose difference would be NaN). */
export function compareTimes(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
