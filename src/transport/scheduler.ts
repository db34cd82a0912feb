/**
 * Schedules delayed work for the in-process network, so that a simulation with a manual clock
 * can drive message delays. Zero-delay deliveries do not go through it: they run in a
 * microtask (see `InProcessNetwork`).
 */
export interface Scheduler {
  /**
   * Runs `fn` once, `ms` milliseconds (a positive number) from now on this scheduler's clock.
   *
   * @returns a function that cancels the call if it has not run yet.
   */
  schedule(fn: () => void, ms: number): () => void;
}

/** The default {@link Scheduler}: real timers (`setTimeout`); `InProcessNetwork.close()` cancels those pending. */
export const realTimerScheduler: Scheduler = {
  schedule(fn: () => void, ms: number): () => void {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
