import type { SearchOperation } from './operation.js';
import { SLOT, type Scratch } from './scratch.js';
import { orderByTime } from './time-order.js';

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

  /**
   * @param ops - the required operations.
   * @param scratch - where the arrays come from (they live as long as the search that lent it).
   */
  constructor(ops: readonly SearchOperation<unknown, unknown>[], scratch: Scratch) {
    const n = ops.length;
    const count = n * 2;
    const { int32, float64, uint8 } = SLOT;
    this.head = count;
    this.next = scratch.int32(int32.next, count + 1).fill(NIL);
    this.prev = scratch.int32(int32.prev, count + 1).fill(NIL);
    this.opOf = scratch.int32(int32.opOf, count);
    this.isCall = scratch.zeroUint8(uint8.isCall, count);
    this.time = scratch.float64(float64.time, count);
    this.callOf = scratch.int32(int32.callOf, n);
    this.returnOf = scratch.int32(int32.returnOf, n);
    const calls = scratch.float64(float64.calls, n);
    const returns = scratch.float64(float64.returns, n);
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      calls[i] = op.call;
      returns[i] = op.return;
    }
    // Calls by (time, operation), returns by (time, operation), merged with calls first at equal times.
    const temp = scratch.int32(int32.sortTemp, n);
    const byCall = orderByTime(calls, scratch.int32(int32.byCall, n), temp);
    const byReturn = orderByTime(returns, scratch.int32(int32.byReturn, n), temp);
    let last = this.head;
    let c = 0;
    let r = 0;
    for (let e = 0; e < count; e++) {
      const call = c < n && (r >= n || calls[byCall[c]!]! <= returns[byReturn[r]!]!);
      const op = call ? byCall[c++]! : byReturn[r++]!;
      this.opOf[e] = op;
      this.time[e] = call ? calls[op]! : returns[op]!;
      if (call) {
        this.isCall[e] = 1;
        this.callOf[op] = e;
      } else this.returnOf[op] = e;
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
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
