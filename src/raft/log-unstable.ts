import type { Entry, Snapshot } from './entry.js';

/**
 * The entries and snapshot a node has accepted but not yet seen persisted (etcd's
 * `unstable`). They are handed to the application in a Ready and become stable when the
 * application calls `advance`.
 *
 * Invariant: `entries[i]` has index `offset + i`.
 * Invariant: if `snapshot` is set, `offset === snapshot.metadata.index + 1`.
 * Invariant: `offset <= offsetInProgress <= offset + entries.length`.
 */
export class Unstable {
  /** An incoming snapshot, if any, not yet persisted. */
  snapshot: Snapshot | undefined = undefined;
  /** Entries not yet persisted, starting at `offset`. */
  entries: Entry[] = [];
  /** The index of `entries[0]`. */
  offset: number;
  /** Whether `snapshot` has been handed out in a Ready already. */
  snapshotInProgress = false;
  /** Entries below this index have been handed out in a Ready already. */
  offsetInProgress: number;

  /** @param offset - the index of the first unstable entry (the storage's last index + 1). */
  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index of the log if an unstable snapshot defines it. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** The last index of the log if unstable entries or an unstable snapshot define it. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length !== 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  /** The term of entry `i` if the unstable part knows it. */
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      const s = this.snapshot;
      return s !== undefined && s.metadata.index === i ? s.metadata.term : undefined;
    }
    const e = this.entries[i - this.offset];
    return e === undefined ? undefined : e.term;
  }

  /** The entries not yet handed out in a Ready. */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    if (inProgress === this.entries.length) return [];
    return inProgress === 0 ? this.entries.slice() : this.entries.slice(inProgress);
  }

  /** Whether some entries have not been handed out in a Ready yet. */
  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  /** The snapshot, if it has not been handed out in a Ready yet. */
  nextSnapshot(): Snapshot | undefined {
    return this.snapshotInProgress ? undefined : this.snapshot;
  }

  /** Marks everything currently unstable as handed out. */
  acceptInProgress(): void {
    if (this.entries.length !== 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /**
   * Marks entries up to `index` (with term `term`) as persisted. Ignored when the entry
   * at `index` was since replaced by one of another term.
   */
  stableTo(index: number, term: number): void {
    const gt = this.maybeTerm(index);
    if (gt === undefined || index < this.offset || gt !== term) return;
    const num = index + 1 - this.offset;
    this.entries = num === this.entries.length ? [] : this.entries.slice(num);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  /** Marks the snapshot at index `i` as persisted. */
  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  /** Replaces everything with the snapshot. */
  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /**
   * Appends entries, truncating any existing unstable entries at or after `ents[0].index`.
   * The caller guarantees `ents[0].index <= lastIndex + 1`.
   */
  truncateAndAppend(ents: readonly Entry[]): void {
    const fromIndex = ents[0]!.index;
    if (fromIndex === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (fromIndex <= this.offset) {
      // The log is being truncated to before our current offset: replace everything.
      this.entries = ents.slice();
      this.offset = fromIndex;
      this.offsetInProgress = this.offset;
    } else {
      // Truncate to fromIndex (exclusive) and append the new entries.
      this.entries = this.entries.slice(0, fromIndex - this.offset);
      for (const e of ents) this.entries.push(e);
      this.offsetInProgress = Math.min(this.offsetInProgress, fromIndex);
    }
  }

  /** Returns the unstable entries in `[lo, hi)`; the caller checks the bounds. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
