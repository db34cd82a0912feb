import type { Cancel, Clock } from '../../replica/clock.js';
import type { Scheduler } from '../../transport/scheduler.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** `a` fires before `b`: earlier time first, then earlier insertion. */
function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A binary min-heap of timers ordered by `(at, seq)`: a total order, so timers due at the
 * same virtual time always fire in the order they were set.
 */
class TimerHeap {
  private readonly items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Virtual time for a simulation: a {@link Clock} for replicas and a {@link Scheduler} for the
 * in-process network, over one queue of timers. Time moves only when {@link ManualClock.step}
 * fires the next timer (the {@link SimCluster} drives it in `advance`); no real timer is ever
 * used.
 *
 * Invariant: timers fire in `(time, insertion sequence)` order, and `now()` never decreases,
 * so a run is a pure function of what was scheduled.
 */
export class ManualClock implements Clock, Scheduler {
  private time = 0;
  private seq = 0;
  private readonly heap = new TimerHeap();

  /** The current virtual time in milliseconds (starts at 0). */
  now(): number {
    return this.time;
  }

  /** The number of timers waiting (cancelled ones included until they would have fired). */
  get pending(): number {
    return this.heap.size;
  }

  /** The time the next live timer is due, or `undefined` when none is. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.at;
  }

  schedule(fn: () => void, ms: number): () => void {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.heap.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  every(ms: number, fn: () => void): Cancel {
    return this.everyWith(() => ms, fn);
  }

  /**
   * Like {@link ManualClock.every}, but the interval is read from `interval()` each time the
   * timer re-arms, so a member's tick rate can change while it runs (clock skew).
   */
  everyWith(interval: () => number, fn: () => void): Cancel {
    let cancelled = false;
    let cancelTimer: () => void = () => undefined;
    const arm = (): void => {
      cancelTimer = this.schedule(() => {
        if (cancelled) return;
        arm();
        fn();
      }, interval());
    };
    arm();
    return () => {
      cancelled = true;
      cancelTimer();
    };
  }

  /**
   * Fires the next live timer if it is due at or before `limit`, moving time to it; returns
   * whether one fired. Time never moves past `limit` here; see {@link ManualClock.jump}.
   */
  step(limit: number): boolean {
    this.dropCancelled();
    const t = this.heap.peek();
    if (t === undefined || t.at > limit) return false;
    this.heap.pop();
    this.time = Math.max(this.time, t.at);
    t.fn();
    return true;
  }

  /** Moves time forward to `to` (never backwards) without firing anything. */
  jump(to: number): void {
    this.time = Math.max(this.time, to);
  }

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled === true) this.heap.pop();
  }
}

/**
 * One member's view of a {@link ManualClock}: the same `now()`, but its periodic timers run at
 * `interval × rate` (a rate above 1 is a slow clock, below 1 a fast one: clock skew between
 * members' tick rates), stop while the member is paused, and are all cancelled when it crashes.
 */
export class MemberClock implements Clock {
  /** The factor applied to every interval of this member; change it at any time. */
  rate = 1;
  private readonly base: ManualClock;
  private readonly cancels = new Set<Cancel>();
  private paused = false;
  private dead = false;

  /** @param base - the shared virtual clock. */
  constructor(base: ManualClock) {
    this.base = base;
  }

  now(): number {
    return this.base.now();
  }

  every(ms: number, fn: () => void): Cancel {
    if (this.dead) return () => undefined;
    const cancel = this.base.everyWith(
      () => Math.max(1, Math.round(ms * this.rate)),
      () => {
        if (!this.paused && !this.dead) fn();
      },
    );
    const wrapped: Cancel = () => {
      cancel();
      this.cancels.delete(wrapped);
    };
    this.cancels.add(wrapped);
    return wrapped;
  }

  /** Stops firing this member's timers until {@link MemberClock.resume} (the timers keep their phase). */
  pause(): void {
    this.paused = true;
  }

  /** Lets this member's timers fire again. */
  resume(): void {
    this.paused = false;
  }

  /** Cancels every timer of this member for good (a crash); later `every` calls do nothing. */
  kill(): void {
    this.dead = true;
    for (const c of [...this.cancels]) c();
  }
}
