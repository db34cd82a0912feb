import { CompactedError, SnapOutOfDateError, UnavailableError } from './errors.js';
import {
  emptyConfState,
  emptyHardState,
  limitSize,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from './entry.js';
import { EntryType } from './entry.js';

/** What a node restarts from: the persisted hard state and the latest configuration. */
export interface InitialState {
  /** The persisted hard state. */
  hardState: HardState;
  /** The configuration as of the latest snapshot (later conf changes are replayed from the log). */
  confState: ConfState;
}

/**
 * The synchronous read interface the Raft core uses to reach the persisted log (etcd's
 * `Storage`). Methods throw the typed errors named on each; any other exception is a
 * storage failure that stops the node.
 *
 * Invariant: `firstIndex() - 1` is the index of the latest snapshot, and `term()` of that
 * index is still answered after compaction.
 */
export interface LogStorage {
  /** Returns the persisted hard state and configuration. */
  initialState(): InitialState;
  /**
   * Returns the entries in `[lo, hi)`, limited to `maxSize` total bytes (at least one entry
   * is returned when any is available).
   *
   * @throws {@link CompactedError} when `lo` is at or below the snapshot index.
   * @throws {@link UnavailableError} when `hi` is beyond `lastIndex() + 1`.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /**
   * Returns the term of entry `i`, which must be in `[firstIndex() - 1, lastIndex()]`.
   *
   * @throws {@link CompactedError} when `i` is below `firstIndex() - 1`.
   * @throws {@link UnavailableError} when `i` is above `lastIndex()`.
   */
  term(i: number): number;
  /** The index of the last entry in the log. */
  lastIndex(): number;
  /** The index of the first entry still available (the snapshot index plus one). */
  firstIndex(): number;
  /**
   * Returns the latest snapshot.
   *
   * @throws {@link SnapshotTemporarilyUnavailableError} when a snapshot is not ready yet;
   * the leader will try again later.
   */
  snapshot(): Snapshot;
}

/*
 * The bounds and errors every in-memory log shares (MemoryStorage here, the durable storages'
 * packed log), for a log whose dummy entry (the snapshot's index and term) is at index `offset`
 * and whose last entry is at `last`.
 */

/**
 * Throws as {@link LogStorage.entries} does for `[lo, hi)`.
 * @internal
 */
export function checkEntriesRange(lo: number, hi: number, offset: number, last: number): void {
  if (lo <= offset) throw new CompactedError(`entries: index ${lo} is compacted (snapshot at ${offset})`);
  if (hi > last + 1) throw new UnavailableError(`entries: hi ${hi} is out of bound (last index ${last})`);
}

/**
 * The error {@link LogStorage.term} throws for an index `i` the log does not hold.
 * @internal
 */
export function termOutOfRange(i: number, offset: number, last: number): Error {
  return i < offset ? new CompactedError(`term: index ${i} is compacted (snapshot at ${offset})`) : new UnavailableError(`term: index ${i} is beyond the last index ${last}`);
}

/**
 * Throws unless `index` is newer than the current snapshot's (`applySnapshot`).
 * @internal
 */
export function checkNewerSnapshot(index: number, current: number): void {
  if (current >= index) throw new SnapOutOfDateError(`applySnapshot: snapshot at ${index} is not newer than ${current}`);
}

/**
 * Throws unless a snapshot can be recorded at held index `i` (`createSnapshot`).
 * @internal
 */
export function checkSnapshotAt(i: number, current: number, offset: number, last: number): void {
  if (i <= current) throw new SnapOutOfDateError(`createSnapshot: index ${i} is not newer than ${current}`);
  if (i > last) throw new UnavailableError(`createSnapshot: index ${i} is beyond the last index ${last}`);
  if (i < offset) throw new CompactedError(`createSnapshot: index ${i} is compacted (log starts after ${offset})`);
}

/**
 * Throws unless the log can be compacted through `compactIndex`.
 * @internal
 */
export function checkCompactAt(compactIndex: number, offset: number, last: number): void {
  if (compactIndex <= offset) throw new CompactedError(`compact: index ${compactIndex} is already compacted`);
  if (compactIndex > last) throw new UnavailableError(`compact: index ${compactIndex} is beyond the last index ${last}`);
}

/**
 * Where an append of `entries` lands: the first of them to keep (those the snapshot covers are
 * skipped) and the position (index minus `offset`) it goes to, every held entry from there on
 * being replaced; undefined when the snapshot covers them all.
 *
 * @throws {@link UnavailableError} when they would leave a gap after the last index.
 * @internal
 */
export function appendAt(entries: readonly Entry[], offset: number, last: number): { from: number; at: number } | undefined {
  if (entries.length === 0) return undefined;
  const first = offset + 1;
  const e0 = entries[0]!.index;
  if (e0 + entries.length - 1 < first) return undefined;
  const from = first > e0 ? first - e0 : 0;
  const at = e0 + from - offset;
  if (at > last - offset + 1) throw new UnavailableError(`append: missing log entries (last index ${last}, appending at ${e0 + from})`);
  return { from, at };
}

/** Options for {@link MemoryStorage}: the initial configuration of an empty log. */
export interface MemoryStorageOptions {
  /** The initial voters. */
  voters?: number[];
  /** The initial learners. */
  learners?: number[];
}

/**
 * An in-memory {@link LogStorage}, with the write methods an application uses to persist a
 * Ready. Like etcd's `MemoryStorage`, the log is kept behind a dummy entry that holds the
 * snapshot's index and term.
 */
export class MemoryStorage implements LogStorage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot;
  /** `ents[0]` is a dummy holding the snapshot index and term; real entries follow. */
  private ents: Entry[];

  /**
   * Creates an empty log. With `voters` (and `learners`), the log starts at term 0 index 0
   * with that configuration, so a cluster can start without bootstrap entries.
   */
  constructor(options: MemoryStorageOptions = {}) {
    const confState = emptyConfState();
    if (options.voters) confState.voters = [...options.voters];
    if (options.learners) confState.learners = [...options.learners];
    this.snap = { data: new Uint8Array(0), metadata: { confState, index: 0, term: 0 } };
    this.ents = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: new Uint8Array(0) }];
  }

  /** The lifecycle status; a MemoryStorage is open from construction until {@link MemoryStorage.close}. */
  status: 'opening' | 'open' | 'closing' | 'closed' = 'open';

  /** Opens the storage (it is always open already; reopening after close keeps the contents). */
  open(): void {
    this.status = 'open';
  }

  /** Marks the storage closed. The contents stay, so reopening models a restart with nothing lost. */
  close(): void {
    this.status = 'closed';
  }

  /**
   * Persists one Ready: installs the snapshot (if any), appends the entries, then sets the
   * hard state. In memory, `sync` has no effect.
   */
  save(req: { hardState?: HardState | undefined; entries: readonly Entry[]; snapshot?: Snapshot | undefined; sync?: boolean }): void {
    if (req.snapshot !== undefined && req.snapshot.metadata.index !== 0) this.applySnapshot(req.snapshot);
    this.append(req.entries);
    if (req.hardState !== undefined) this.setHardState(req.hardState);
  }

  /** {@inheritDoc LogStorage.initialState} */
  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  /** Persists the hard state. */
  setHardState(st: HardState): void {
    this.hardState = { term: st.term, vote: st.vote, commit: st.commit };
  }

  private get offset(): number {
    return this.ents[0]!.index;
  }

  /** {@inheritDoc LogStorage.entries} */
  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.offset;
    checkEntriesRange(lo, hi, offset, this.lastIndex());
    if (lo >= hi) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  /** {@inheritDoc LogStorage.term} */
  term(i: number): number {
    const offset = this.offset;
    const e = i < offset ? undefined : this.ents[i - offset];
    if (e === undefined) throw termOutOfRange(i, offset, this.lastIndex());
    return e.term;
  }

  /** {@inheritDoc LogStorage.lastIndex} */
  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  /** {@inheritDoc LogStorage.firstIndex} */
  firstIndex(): number {
    return this.offset + 1;
  }

  /** {@inheritDoc LogStorage.snapshot} */
  snapshot(): Snapshot {
    return this.snap;
  }

  /**
   * Replaces the whole log with the snapshot.
   *
   * @throws {@link SnapOutOfDateError} when the snapshot is older than the current one.
   */
  applySnapshot(snap: Snapshot): void {
    const index = snap.metadata.index;
    checkNewerSnapshot(index, this.snap.metadata.index);
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index, type: EntryType.EntryNormal, data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the state machine at applied index `i` (which must be in the log),
   * to be sent to followers that fell behind. It does not compact the log; call
   * {@link MemoryStorage.compact} for that.
   *
   * @throws {@link SnapOutOfDateError} when `i` is not newer than the current snapshot.
   * @throws {@link UnavailableError} when `i` is beyond the last index.
   * @throws {@link CompactedError} when `i` is below the log's first index minus one (compacted away).
   */
  createSnapshot(i: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    checkSnapshotAt(i, this.snap.metadata.index, this.offset, this.lastIndex());
    const term = this.ents[i - this.offset]!.term;
    this.snap = {
      data,
      metadata: { index: i, term, confState: confState ?? this.snap.metadata.confState },
    };
    return this.snap;
  }

  /**
   * Discards all entries up to and including `compactIndex`. The application must not
   * compact beyond its applied index.
   *
   * @throws {@link CompactedError} when `compactIndex` is already compacted.
   * @throws {@link UnavailableError} when `compactIndex` is beyond the last index.
   */
  compact(compactIndex: number): void {
    const offset = this.offset;
    checkCompactAt(compactIndex, offset, this.lastIndex());
    const i = compactIndex - offset;
    const dummy: Entry = { term: this.ents[i]!.term, index: compactIndex, type: EntryType.EntryNormal, data: new Uint8Array(0) };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, first truncating any existing suffix that conflicts with them
   * (entries at or after `entries[0].index` are replaced). Entries already covered by the
   * snapshot are ignored.
   *
   * @throws {@link UnavailableError} when the entries would leave a gap after the last index.
   */
  append(entries: readonly Entry[]): void {
    const place = appendAt(entries, this.offset, this.lastIndex());
    if (place === undefined) return;
    if (place.at < this.ents.length) this.ents.length = place.at;
    for (let k = place.from; k < entries.length; k++) this.ents.push(entries[k]!);
  }
}
