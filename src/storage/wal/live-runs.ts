/**
 * Which segment holds each live log entry, as runs: `{ seq, from }` says entries from index
 * `from` (up to the next run's `from`) were last written in segment `seq`. Segment numbers
 * never decrease along the log (appends go to the newest segment and replace any suffix), so
 * the segment of the first live entry is the oldest one still needed, and every segment
 * before it can be deleted.
 */
export class LiveRuns {
  #runs: { seq: number; from: number }[] = [];

  /** Records that entries from `from` on were (re)written in segment `seq`. */
  append(from: number, seq: number): void {
    const runs = this.#runs;
    while (runs.length > 0 && runs[runs.length - 1]!.from >= from) runs.pop();
    if (runs.length === 0 || runs[runs.length - 1]!.seq !== seq) runs.push({ seq, from });
  }

  /** Forgets every entry (a snapshot replaced the log). */
  reset(): void {
    this.#runs = [];
  }

  /** Forgets entries up to `index` (compaction). */
  compact(index: number): void {
    const runs = this.#runs;
    let drop = 0;
    while (drop + 1 < runs.length && runs[drop + 1]!.from <= index + 1) drop++;
    if (drop > 0) runs.splice(0, drop);
  }

  /**
   * The oldest segment still needed: the one holding entry `first` (the first live index),
   * or `active` when the log is empty (`first > last`).
   */
  oldestNeeded(first: number, last: number, active: number): number {
    if (first > last) return active;
    return this.#runs[0]?.seq ?? active;
  }
}
