/**
 * The trace of a simulation: one line per event (every message sent and delivered, every
 * persisted Ready, every applied command, every fault), stamped with the virtual time.
 *
 * Every line is folded into a running 64-bit FNV-1a hash (two 32-bit halves), so two runs can
 * be compared exactly without keeping their traces; the last `keep` lines are kept for
 * printing when a seed fails.
 */
export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;
  private count = 0;
  private readonly ring: string[] = [];
  private readonly keep: number;
  private readonly now: () => number;

  /**
   * @param now - the virtual clock stamped on each line.
   * @param keep - how many of the latest lines to keep for {@link Trace.lines}. Default 2000.
   */
  constructor(now: () => number, keep = 2000) {
    this.now = now;
    this.keep = keep;
  }

  /** The number of events recorded. */
  get size(): number {
    return this.count;
  }

  /** Records one event; `text` should be stable across runs (no object identities, no real time). */
  add(text: string): void {
    const line = `${this.now().toFixed(0).padStart(7)} ${text}`;
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h1 >>> 15);
    }
    h1 = Math.imul(h1 ^ 10, 0x01000193);
    this.h1 = h1;
    this.h2 = h2;
    this.count++;
    if (this.keep <= 0) return;
    this.ring.push(line);
    // Trim in halves so that keeping the tail costs O(1) amortized per line.
    if (this.ring.length >= 2 * this.keep) this.ring.splice(0, this.ring.length - this.keep);
  }

  /** A hash of every line recorded so far, as 16 hex digits; equal for identical runs. */
  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** The latest lines (at most `keep`), oldest first. */
  lines(): string[] {
    return this.ring.slice(-this.keep);
  }

  /** The latest `n` lines joined for printing. */
  tail(n = 200): string {
    return this.ring.slice(-n).join('\n');
  }
}
