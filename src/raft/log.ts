import { CompactedError, MessageRefusedError, RaftInvariantError, UnavailableError } from './errors.js';
import { entrySize, limitSize, type Entry, type Snapshot } from './entry.js';
import type { LogStorage } from './log-storage.js';
import type { Logger } from './logger.js';
import { Unstable } from './log-unstable.js';

/** An (index, term) pair identifying a log entry. */
export interface EntryId {
  /** The entry's index. */
  index: number;
  /** The entry's term. */
  term: number;
}

/**
 * The Raft log as the core sees it: the stable part in {@link LogStorage} followed by the
 * {@link Unstable} part (etcd's `raftLog`).
 *
 * Invariant: `applied <= applying <= committed <= lastIndex()`.
 * Invariant: `firstIndex() - 1 <= applied` once a snapshot has been restored.
 */
export class RaftLog {
  /** The stable, persisted part of the log. */
  readonly storage: LogStorage;
  /** The not-yet-persisted part of the log. */
  readonly unstable: Unstable;
  /** The highest index known to be committed on a quorum. */
  committed: number;
  /** The highest index handed to the application for applying (it may not be applied yet). */
  applying: number;
  /** The highest index the application has applied. */
  applied: number;
  /** The maximum bytes of entries handed out for applying at once (`maxCommittedSizePerReady`). */
  readonly maxApplyingEntsSize: number;
  /** The bytes of entries handed out for applying and not yet acknowledged as applied. */
  applyingEntsSize = 0;
  /** Whether handing out entries to apply is paused because `applyingEntsSize` is at its limit. */
  applyingEntsPaused = false;
  private readonly logger: Logger;

  /**
   * @param storage - the stable log.
   * @param logger - where to report invariant violations.
   * @param maxApplyingEntsSize - see {@link RaftLog.maxApplyingEntsSize}.
   */
  constructor(storage: LogStorage, logger: Logger, maxApplyingEntsSize: number) {
    this.storage = storage;
    this.logger = logger;
    this.maxApplyingEntsSize = maxApplyingEntsSize;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  private fail(msg: string): never {
    this.logger.error(msg);
    throw new RaftInvariantError(msg);
  }

  /** A short description for logs. */
  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, applying=${this.applying}, unstable.offset=${this.unstable.offset}, unstable.offsetInProgress=${this.unstable.offsetInProgress}, len(unstable.Entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends `ents` after the entry `prev` if the log contains `prev`, truncating any
   * conflicting suffix, and commits up to `min(committed, last new index)`. Returns the
   * index of the last new entry, or `undefined` when `prev` does not match (§5.3).
   */
  maybeAppend(prev: EntryId, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(prev.index, prev.term)) return undefined;
    const lastNewIndex = prev.index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      // Nothing has changed yet: a leader (or a peer posing as one) contradicting the
      // committed log is refused, not obeyed.
      if (ci <= this.committed) throw new MessageRefusedError('append-conflicts-committed', `entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      const offset = prev.index + 1;
      if (ci - offset > ents.length) this.fail(`index ${ci - offset} is out of range [${ents.length}]`);
      this.append(ci - offset === 0 ? ents : ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  /** Appends entries (truncating a conflicting unstable suffix) and returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) this.fail(`after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Returns the index of the first entry of `ents` that is missing from the log or whose
   * term differs, or 0 when every entry is already present.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) {
        if (e.index <= this.lastIndex()) {
          this.logger.info(`found conflict at index ${e.index} [existing term: ${this.termOrZero(e.index)}, conflicting term: ${e.term}]`);
        }
        return e.index;
      }
    }
    return 0;
  }

  /**
   * Returns the largest (index, term) at or below `index` whose term is at most `term`: a
   * guess at where the logs can match, used by the fast back-off of rejected appends.
   * Returns term 0 when the term at the found index is not known.
   */
  findConflictByTerm(index: number, term: number): EntryId {
    for (; index > 0; index--) {
      const t = this.termOrUndefined(index);
      if (t === undefined) return { index, term: 0 };
      if (t <= term) return { index, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** The unstable entries not yet handed out in a Ready. */
  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  /** Whether there are unstable entries not yet handed out in a Ready. */
  hasNextUnstableEnts(): boolean {
    return this.unstable.hasNextEntries();
  }

  /** Whether there are unstable entries, handed out or not. */
  hasNextOrInProgressUnstableEnts(): boolean {
    return this.unstable.entries.length > 0;
  }

  /**
   * The committed entries ready to be applied, limited by `maxApplyingEntsSize`.
   *
   * @param allowUnstable - whether entries not yet persisted may be returned (true when the
   * application persists a Ready before applying it).
   */
  nextCommittedEnts(allowUnstable: boolean): Entry[] {
    if (this.applyingEntsPaused) return [];
    if (this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.maxAppliableIndex(allowUnstable) + 1;
    if (lo >= hi) return [];
    const maxSize = this.maxApplyingEntsSize - this.applyingEntsSize;
    if (maxSize <= 0) this.fail(`applying entry size (${this.applyingEntsSize}) exceeds the limit (${this.maxApplyingEntsSize})`);
    return this.slice(lo, hi, maxSize);
  }

  /** Whether {@link RaftLog.nextCommittedEnts} would return anything. */
  hasNextCommittedEnts(allowUnstable: boolean): boolean {
    if (this.applyingEntsPaused) return false;
    if (this.hasNextOrInProgressSnapshot()) return false;
    return this.applying + 1 < this.maxAppliableIndex(allowUnstable) + 1;
  }

  /** The highest index that may be applied. */
  maxAppliableIndex(allowUnstable: boolean): number {
    let hi = this.committed;
    if (!allowUnstable) hi = Math.min(hi, this.unstable.offset - 1);
    return hi;
  }

  /** The unstable snapshot, if one has not been handed out in a Ready yet. */
  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /** Whether there is an unstable snapshot not yet handed out. */
  hasNextUnstableSnapshot(): boolean {
    return this.unstable.nextSnapshot() !== undefined;
  }

  /** Whether there is an unstable snapshot, handed out or not. */
  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** The latest snapshot: the unstable one, or the storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** The first index of the log. */
  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /** The last index of the log. */
  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /**
   * The last index this node holds durably: entries below the unstable offset were handed out
   * in a Ready that was advanced. (With an unstable snapshot the caller must not ask.)
   */
  durableLastIndex(): number {
    return this.unstable.offset - 1;
  }

  /** Raises the commit index to `toCommit` (never lowers it). */
  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        this.fail(`tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`);
      }
      this.committed = toCommit;
    }
  }

  /** Records that the application applied up to `i`, releasing `size` bytes of apply budget. */
  appliedTo(i: number, size: number): void {
    if (this.committed < i || i < this.applied) {
      this.fail(`applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
    this.applying = Math.max(this.applying, i);
    this.applyingEntsSize = this.applyingEntsSize > size ? this.applyingEntsSize - size : 0;
    this.applyingEntsPaused = this.applyingEntsSize >= this.maxApplyingEntsSize;
  }

  /** Records that entries up to `i` (of total `size` bytes) were handed out for applying. */
  acceptApplying(i: number, size: number, allowUnstable: boolean): void {
    if (this.committed < i) this.fail(`applying(${i}) is out of range [prevApplying(${this.applying}), committed(${this.committed})]`);
    this.applying = i;
    this.applyingEntsSize += size;
    // Pause when the budget is used up, or when the size limit cut the last batch short
    // (so more entries are ready but will be handed out after an advance).
    this.applyingEntsPaused =
      this.applyingEntsSize >= this.maxApplyingEntsSize || i < this.maxAppliableIndex(allowUnstable);
  }

  /** Marks unstable entries up to `id` as persisted. */
  stableTo(id: EntryId): void {
    this.unstable.stableTo(id.index, id.term);
  }

  /** Marks the unstable snapshot at `i` as persisted. */
  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Marks the current unstable entries and snapshot as handed out. */
  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  /** The id of the last entry. */
  lastEntryId(): EntryId {
    const index = this.lastIndex();
    const term = this.termOrUndefined(index);
    if (term === undefined) this.fail(`unexpected error when getting the last term at ${index}`);
    return { index, term };
  }

  /** The term of the last entry. */
  lastTerm(): number {
    return this.lastEntryId().term;
  }

  /**
   * The term of entry `i`, which must be in `[firstIndex() - 1, lastIndex()]`.
   *
   * @throws {@link CompactedError} or {@link UnavailableError} outside that range.
   */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex()) throw new CompactedError(`term: index ${i} is compacted`);
    if (i > this.lastIndex()) throw new UnavailableError(`term: index ${i} is beyond the last index`);
    return this.storage.term(i);
  }

  /** The term of entry `i`, or `undefined` when it is compacted or not in the log. */
  termOrUndefined(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  /** The term of entry `i`, or 0 when it is compacted or not in the log. */
  termOrZero(i: number): number {
    return this.termOrUndefined(i) ?? 0;
  }

  /** Whether the log has an entry at index `i` with term `term`. */
  matchTerm(i: number, term: number): boolean {
    const t = this.termOrUndefined(i);
    return t !== undefined && t === term;
  }

  /**
   * Commits up to `at.index` if the entry there has term `at.term`. The leader passes its own
   * term, so only entries of the current term are committed by counting replicas (§5.4.2).
   */
  maybeCommit(at: EntryId): boolean {
    if (at.index > this.committed && this.matchTerm(at.index, at.term)) {
      this.commitTo(at.index);
      return true;
    }
    return false;
  }

  /** Replaces the log with a snapshot. */
  restore(s: Snapshot): void {
    this.logger.info(`log [${this.toString()}] starts to restore snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /**
   * Whether a log ending at (`lastIndex`, `term`) is at least as up to date as ours (§5.4.1):
   * a later last term wins, and with equal terms the longer log wins.
   */
  isUpToDate(lastIndex: number, term: number): boolean {
    const last = this.lastEntryId();
    return term > last.term || (term === last.term && lastIndex >= last.index);
  }

  /** The entries from `i` to the end, limited to `maxSize` bytes. */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  /** Every entry from the first index (for tests and debugging). */
  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Infinity);
  }

  /**
   * The entries in `[lo, hi)`, limited to `maxSize` bytes (at least one entry).
   *
   * @throws {@link CompactedError} when `lo` is compacted.
   */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const uOffset = this.unstable.offset;
    if (lo >= uOffset) return limitSize(this.unstable.slice(lo, hi), maxSize);
    const cut = Math.min(hi, uOffset);
    const ents = this.storage.entries(lo, cut, maxSize);
    if (hi <= uOffset || ents.length < cut - lo) return ents;
    let size = 0;
    for (const e of ents) size += entrySize(e);
    if (size >= maxSize) return ents;
    const rest = limitSize(this.unstable.slice(uOffset, hi), maxSize - size);
    if (rest.length === 1 && size + entrySize(rest[0]!) > maxSize) return ents;
    return ents.concat(rest);
  }

  private mustCheckOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) this.fail(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError(`slice: index ${lo} is compacted (first index ${fi})`);
    const li = this.lastIndex();
    if (hi > li + 1) this.fail(`slice[${lo},${hi}) out of bound [${fi},${li}]`);
  }
}
