/** Why a search stopped before reaching a verdict. */
export type BudgetExhaustion = 'max-steps' | 'time-limit';

/**
 * An allowance of search effort: a number of model steps and an optional deadline on
 * an injected clock. One budget is charged by every search of a check so the limits
 * apply to the whole check, not to each partition.
 */
export class SearchBudget {
  /** Model steps taken so far. */
  steps = 0;
  /** The most model steps allowed (`Infinity` for no limit). */
  readonly maxSteps: number;
  /** The clock reading after which to stop (`Infinity` for none). */
  readonly deadline: number;
  /** The clock; read once every 1024 steps, and only when `deadline` is finite. */
  readonly now: (() => number) | undefined;
  /**
   * Asked once every 1024 steps (like the clock) whether another thread made this work
   * pointless; `true` stops the search as the deadline does (see parallel.ts).
   */
  readonly interrupt: (() => boolean) | undefined;

  /**
   * @param maxSteps - the most model steps allowed (`Infinity` for no limit).
   * @param deadline - the clock reading after which to stop (`Infinity` for none).
   * @param now - the clock.
   * @param interrupt - optional: whether to stop now (read when the clock would be).
   */
  constructor(maxSteps: number, deadline = Infinity, now?: () => number, interrupt?: () => boolean) {
    this.maxSteps = maxSteps;
    this.deadline = deadline;
    this.now = deadline === Infinity ? undefined : now;
    this.interrupt = interrupt;
  }

  /** Counts one step; returns why the search must stop, or `undefined` to go on. */
  charge(): BudgetExhaustion | undefined {
    this.steps++;
    if (this.steps > this.maxSteps) return 'max-steps';
    if ((this.steps & 1023) === 0 && (this.expired() || this.interrupt?.() === true)) return 'time-limit';
    return undefined;
  }

  /** Whether the deadline has passed. */
  expired(): boolean {
    return this.now !== undefined && this.now() > this.deadline;
  }

  /** Whether no more steps may be taken. */
  exhausted(): boolean {
    return this.steps >= this.maxSteps || this.expired();
  }

  /**
   * Runs `task` with a sub-budget of at most `steps` more steps (and this deadline),
   * then charges the steps it used to this budget.
   */
  within<T>(steps: number, task: (sub: SearchBudget) => T): T {
    const sub = new SearchBudget(Math.min(steps, Math.max(0, this.maxSteps - this.steps)), this.deadline, this.now, this.interrupt);
    try {
      return task(sub);
    } finally {
      this.steps += sub.steps;
    }
  }
}
