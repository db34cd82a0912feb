/** Cancels a timer started by {@link Clock.every}. Calling it more than once is harmless. */
export type Cancel = () => void;

/**
 * The only source of time for a replica. A simulation injects a manual clock; the default,
 * {@link systemClock}, uses real timers. Nothing else in `src/replica` reads the time.
 */
export interface Clock {
  /** The current time in milliseconds (any fixed origin; only differences are used). */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until the returned {@link Cancel} is called. */
  every(ms: number, fn: () => void): Cancel;
  /**
   * Optional: calls `fn` once, as soon as possible but in a later turn of the event loop.
   * Without it, the replica waits one millisecond of this clock's time instead (a virtual
   * clock leaves it out, so that time moves between such rounds).
   */
  soon?(fn: () => void): void;
}

/**
 * A {@link Clock} over the process's real timers (`setInterval`, `performance.now`). Its
 * timers keep the process alive, as a running server does: a replica runs until it is
 * stopped.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  every(ms, fn) {
    const h = setInterval(fn, ms);
    return () => clearInterval(h);
  },
  soon(fn) {
    setImmediate(fn);
  },
};

/** Calls `fn` once after `ms` milliseconds of `clock` time; built on {@link Clock.every}. */
export function after(clock: Clock, ms: number, fn: () => void): Cancel {
  let cancel: Cancel | undefined = undefined;
  let fired = false;
  cancel = clock.every(ms, () => {
    if (fired) return;
    fired = true;
    cancel?.();
    fn();
  });
  if (fired) cancel();
  return () => {
    fired = true;
    cancel?.();
  };
}
