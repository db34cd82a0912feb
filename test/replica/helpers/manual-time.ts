import type { Cancel, Clock } from '../../../src/replica/clock.js';
import type { Scheduler } from '../../../src/transport/scheduler.js';

interface Timer {
  at: number;
  seq: number;
  every: number;
  fn: () => void;
}

/**
 * Virtual time for replica tests: a {@link Clock} for replicas and a {@link Scheduler} for the
 * in-process network. Time only moves in {@link ManualTime.advance} and {@link ManualTime.until}, one millisecond at a time,
 * and between milliseconds every pending promise and immediate settles, so each message and
 * storage write completes at the virtual time it started.
 */
export class ManualTime implements Clock, Scheduler {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  every(ms: number, fn: () => void): Cancel {
    return this.add(ms, ms, fn);
  }

  schedule(fn: () => void, ms: number): () => void {
    return this.add(ms, 0, fn);
  }

  /** Advances time by `ms`, one millisecond at a time. */
  async advance(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) await this.step();
  }

  /** Advances time until `cond()` holds (checked after each millisecond), failing after `maxMs`. */
  async until(cond: () => boolean, what: string, maxMs = 10_000): Promise<void> {
    for (let i = 0; !cond(); i++) {
      if (i >= maxMs) throw new Error(`timed out waiting for ${what} (${maxMs} virtual ms)`);
      await this.step();
    }
  }

  private async step(): Promise<void> {
    this.time++;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.timers[0];
      if (t === undefined || t.at > this.time) break;
      if (t.every > 0) t.at += t.every;
      else this.timers.shift();
      t.fn();
    }
    // Let everything started at this millisecond finish before time moves on.
    for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
  }

  private add(ms: number, every: number, fn: () => void): Cancel {
    const t: Timer = { at: this.time + ms, seq: this.seq++, every, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }
}
