import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from '../raft/entry.js';
import { CompactedError, SnapOutOfDateError, UnavailableError } from '../raft/errors.js';
import type { InitialState } from '../raft/log-storage.js';
import { NotOpenError } from '../lifecycle.js';
import { StorageInvalidArgumentError } from './errors.js';
import type { ResourceStatus, SaveRequest, SnapshotStreams, Storage, StorageCapabilities } from './storage.js';

/** The chunk size the default {@link AbstractStorage._readSnapshotChunks} slices data into: 1 MiB. */
export const DEFAULT_SNAPSHOT_CHUNK_SIZE = 1 << 20;

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** `Array.isArray` without its `any[]` narrowing. */
function isArray(v: unknown): boolean {
  return Array.isArray(v);
}

function checkIndex(n: unknown, what: string): number {
  if (!isIndex(n)) throw new StorageInvalidArgumentError(`${what} must be a non-negative safe integer, got ${String(n)}`);
  return n;
}

function checkHardState(hs: HardState): void {
  checkIndex(hs.term, 'hardState.term');
  checkIndex(hs.vote, 'hardState.vote');
  checkIndex(hs.commit, 'hardState.commit');
}

function checkMetadata(md: SnapshotMetadata, what: string): void {
  checkIndex(md.index, `${what}.index`);
  checkIndex(md.term, `${what}.term`);
  if (typeof md.confState !== 'object' || md.confState === null) {
    throw new StorageInvalidArgumentError(`${what}.confState must be a ConfState`);
  }
}

function checkEntries(entries: readonly Entry[]): void {
  if (!isArray(entries)) throw new StorageInvalidArgumentError('entries must be an array');
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    checkIndex(e.index, `entries[${k}].index`);
    checkIndex(e.term, `entries[${k}].term`);
    if (!(e.data instanceof Uint8Array)) throw new StorageInvalidArgumentError(`entries[${k}].data must be a Uint8Array`);
    const prev = entries[k - 1];
    if (prev !== undefined && (e.index !== prev.index + 1 || e.term < prev.term)) {
      throw new StorageInvalidArgumentError(
        `entries[${k}] (index ${e.index}, term ${e.term}) does not follow index ${prev.index} term ${prev.term}`,
      );
    }
  }
}

/**
 * The base class of storage adapters (STYLE rule 10, after abstract-level): each public method
 * checks the lifecycle status and validates its arguments, then calls a `protected _method`
 * with normalised arguments. An adapter implements the `_` methods only.
 *
 * - Synchronous reads throw {@link NotOpenError} unless the status is `'open'`.
 * - Writes made while opening wait for the open; writes after `close()` started are rejected
 *   with {@link NotOpenError}. Writes run one at a time in call order, and each sees the
 *   state every earlier write left, so the state checks (`ERR_SNAP_OUT_OF_DATE`,
 *   `ERR_COMPACTED`, `ERR_UNAVAILABLE`) happen here, before the adapter is called.
 * - `close()` waits for the writes already queued.
 *
 * Invariant: the snapshot index is at least `firstIndex() - 1` (compaction never passes the
 * snapshot), so the term of every index from the snapshot on is known.
 */
export abstract class AbstractStorage implements Storage, SnapshotStreams {
  /** What this adapter supports; see {@link StorageCapabilities}. */
  readonly capabilities: StorageCapabilities;
  #status: ResourceStatus = 'closed';
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param capabilities - the adapter's manifest; flags left out are `false` (`checkedCalls` is always true). */
  constructor(capabilities: Partial<StorageCapabilities> = {}) {
    this.capabilities = Object.freeze({
      persistent: capabilities.persistent ?? false,
      checksums: capabilities.checksums ?? false,
      snapshotStreams: capabilities.snapshotStreams ?? false,
      checkedCalls: true,
    });
  }

  /** The lifecycle status: `'closed'` until {@link AbstractStorage.open} is called. */
  get status(): ResourceStatus {
    return this.#status;
  }

  /** Opens the storage and loads what the core reads. Idempotent; concurrent calls share one open. */
  async open(): Promise<void> {
    if (this.#status === 'open') return;
    if (this.#status === 'opening') return this.#opening;
    if (this.#status === 'closing') await this.#closing;
    this.#status = 'opening';
    this.#opening = (async () => {
      try {
        await this._open();
        this.#status = 'open';
      } catch (err) {
        this.#status = 'closed';
        throw err;
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening;
  }

  /** Closes the storage after the queued writes finish. Idempotent. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#status === 'closing') return this.#closing;
    if (this.#status === 'opening') {
      await this.#opening?.catch(() => undefined);
      if ((this.#status as ResourceStatus) !== 'open') return;
    }
    this.#status = 'closing';
    this.#closing = (async () => {
      try {
        await this.#queue;
        await this._close();
      } finally {
        this.#status = 'closed';
        this.#closing = undefined;
      }
    })();
    return this.#closing;
  }

  /** Closes the storage (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertReadable(method: string): void {
    if (this.#status !== 'open') throw new NotOpenError(`storage: ${method}`, this.#status);
  }

  #write<T>(method: string, run: () => T | Promise<T>): Promise<T> {
    if (this.#status === 'opening') return this.#opening!.then(() => this.#write(method, run));
    if (this.#status !== 'open') return Promise.reject(new NotOpenError(`storage: ${method}`, this.#status));
    // With no write queued or running, this one starts now, in the caller's turn, instead of
    // a microtask later: a leader's log write then reaches the disk before the appends it
    // sends its followers are flushed to their sockets (the flush waits for a microtask).
    const result = this.#writes === 0 ? startNow(run) : this.#queue.then(run);
    this.#writes++;
    this.#queue = result.then(this.#settled, this.#settled);
    return result;
  }

  /** Writes queued or running: a write starts at once only when none is. */
  #writes = 0;
  readonly #settled = (): void => {
    this.#writes--;
  };

  /** {@inheritDoc LogStorage.initialState} */
  initialState(): InitialState {
    this.#assertReadable('initialState');
    return this._initialState();
  }

  /** {@inheritDoc LogStorage.entries} */
  entries(lo: number, hi: number, maxSize: number): Entry[] {
    this.#assertReadable('entries');
    checkIndex(lo, 'lo');
    checkIndex(hi, 'hi');
    if (typeof maxSize !== 'number' || !(maxSize >= 0)) {
      throw new StorageInvalidArgumentError(`maxSize must be a non-negative number, got ${String(maxSize)}`);
    }
    return this._entries(lo, hi, maxSize);
  }

  /** {@inheritDoc LogStorage.term} */
  term(i: number): number {
    this.#assertReadable('term');
    return this._term(checkIndex(i, 'index'));
  }

  /** {@inheritDoc LogStorage.firstIndex} */
  firstIndex(): number {
    this.#assertReadable('firstIndex');
    return this._firstIndex();
  }

  /** {@inheritDoc LogStorage.lastIndex} */
  lastIndex(): number {
    this.#assertReadable('lastIndex');
    return this._lastIndex();
  }

  /** {@inheritDoc LogStorage.snapshot} */
  snapshot(): Snapshot {
    this.#assertReadable('snapshot');
    return this._snapshot();
  }

  /** {@inheritDoc Storage.save} */
  save(req: SaveRequest): Promise<void> {
    // Not an async function: the write is the one promise a save makes (it runs on every Ready).
    try {
      if (typeof req !== 'object' || req === null) throw new StorageInvalidArgumentError('save: request must be an object');
      checkEntries(req.entries);
      if (req.hardState !== undefined) checkHardState(req.hardState);
      if (req.snapshot !== undefined) checkMetadata(req.snapshot.metadata, 'snapshot.metadata');
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what a check threw, as an async function would pass it on
      return Promise.reject(err);
    }
    return this.#write('save', () => {
      const snap = req.snapshot !== undefined && req.snapshot.metadata.index !== 0 ? req.snapshot : undefined;
      if (snap !== undefined) this.#checkNewer(snap.metadata.index, 'save');
      // Entries the (new) snapshot covers are ignored; the rest must not leave a gap.
      const first = snap === undefined ? this._firstIndex() : snap.metadata.index + 1;
      const last = snap === undefined ? this._lastIndex() : snap.metadata.index;
      let entries = req.entries;
      const e0 = entries[0];
      if (e0 !== undefined) {
        if (e0.index < first) entries = entries.slice(first - e0.index);
        if (e0.index > last + 1) {
          throw new UnavailableError(`save: missing log entries (last index ${last}, appending at ${e0.index})`);
        }
      }
      return this._save({ hardState: req.hardState, entries, snapshot: snap, sync: req.sync });
    });
  }

  /** {@inheritDoc Storage.applySnapshot} */
  async applySnapshot(snap: Snapshot): Promise<void> {
    checkMetadata(snap.metadata, 'snapshot.metadata');
    return this.#write('applySnapshot', () => {
      this.#checkNewer(snap.metadata.index, 'applySnapshot');
      return this._save({ entries: [], snapshot: snap, sync: true, hardState: undefined });
    });
  }

  /** {@inheritDoc Storage.createSnapshot} */
  async createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Promise<Snapshot> {
    checkIndex(index, 'index');
    if (!(data instanceof Uint8Array)) throw new StorageInvalidArgumentError('createSnapshot: data must be a Uint8Array');
    return this.#write('createSnapshot', () => {
      const md = this.#newSnapshotMetadata(index, confState, 'createSnapshot');
      return this._createSnapshot(md, data);
    });
  }

  /** {@inheritDoc Storage.compact} */
  async compact(index: number): Promise<void> {
    checkIndex(index, 'index');
    return this.#write('compact', () => {
      const offset = this._firstIndex() - 1;
      if (index <= offset) throw new CompactedError(`compact: index ${index} is already compacted`);
      if (index > this._lastIndex()) {
        throw new UnavailableError(`compact: index ${index} is beyond the last index ${this._lastIndex()}`);
      }
      const snapIndex = this._snapshotMetadata().index;
      if (index > snapIndex) {
        throw new StorageInvalidArgumentError(`compact: index ${index} is not covered by the snapshot at ${snapIndex}`);
      }
      return this._compact(index);
    });
  }

  /**
   * {@inheritDoc SnapshotStreams.readSnapshotChunks}
   *
   * @yields {Uint8Array} the chunks of the snapshot's data, in order.
   */
  async *readSnapshotChunks(index: number): AsyncIterable<Uint8Array> {
    checkIndex(index, 'index');
    this.#assertReadable('readSnapshotChunks');
    const current = this._snapshotMetadata().index;
    if (current !== index) throw new SnapOutOfDateError(`readSnapshotChunks: the snapshot is at ${current}, not ${index}`);
    yield* this._readSnapshotChunks(index);
  }

  /** {@inheritDoc SnapshotStreams.writeSnapshot} */
  async writeSnapshot(
    metadata: SnapshotMetadata,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<SnapshotMetadata> {
    checkMetadata(metadata, 'metadata');
    return this.#write('writeSnapshot', async () => {
      const md = this.#newSnapshotMetadata(metadata.index, metadata.confState, 'writeSnapshot');
      if (md.term !== metadata.term) {
        throw new StorageInvalidArgumentError(
          `writeSnapshot: metadata.term ${metadata.term} is not the term ${md.term} of entry ${md.index}`,
        );
      }
      await this._writeSnapshot(md, chunks);
      return md;
    });
  }

  #checkNewer(index: number, method: string): void {
    const current = this._snapshotMetadata().index;
    if (index <= current) throw new SnapOutOfDateError(`${method}: snapshot at ${index} is not newer than ${current}`);
  }

  #newSnapshotMetadata(index: number, confState: ConfState | undefined, method: string): SnapshotMetadata {
    this.#checkNewer(index, method);
    if (index > this._lastIndex()) {
      throw new UnavailableError(`${method}: index ${index} is beyond the last index ${this._lastIndex()}`);
    }
    return { index, term: this._term(index), confState: confState ?? this._snapshotMetadata().confState };
  }

  /** Opens the underlying resource and loads the state. Default: nothing to do. */
  protected _open(): void | Promise<void> {}

  /** Closes the underlying resource. Default: nothing to do. */
  protected _close(): void | Promise<void> {}

  /** Implements {@link AbstractStorage.initialState}. */
  protected abstract _initialState(): InitialState;
  /** Implements {@link AbstractStorage.entries}; the indexes are validated, not range-checked. */
  protected abstract _entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Implements {@link AbstractStorage.term}; the index is validated, not range-checked. */
  protected abstract _term(i: number): number;
  /** Implements {@link AbstractStorage.firstIndex}. */
  protected abstract _firstIndex(): number;
  /** Implements {@link AbstractStorage.lastIndex}. */
  protected abstract _lastIndex(): number;
  /** Implements {@link AbstractStorage.snapshot}. */
  protected abstract _snapshot(): Snapshot;

  /** The current snapshot's metadata. Default: `_snapshot().metadata`. */
  protected _snapshotMetadata(): SnapshotMetadata {
    return this._snapshot().metadata;
  }

  /**
   * Persists one Ready atomically. Receives a checked request: `snapshot` is newer than the
   * current one (or absent), and `entries` start at or after the first index the snapshot
   * leaves and leave no gap.
   */
  protected abstract _save(req: SaveRequest): void | Promise<void>;
  /** Records the snapshot described by checked metadata (index in the log, newer, term filled). */
  protected abstract _createSnapshot(metadata: SnapshotMetadata, data: Uint8Array): Snapshot | Promise<Snapshot>;
  /** Discards the entries up to `index`, which is in the log and covered by the snapshot. */
  protected abstract _compact(index: number): void | Promise<void>;

  /**
   * Yields the current snapshot's data (at `_index`, checked). Default: slices
   * `_snapshot().data` into 1 MiB views.
   *
   * @yields {Uint8Array} the chunks of the data, in order.
   */
  protected *_readSnapshotChunks(_index: number): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
    const data = this._snapshot().data;
    for (let at = 0; at < data.length; at += DEFAULT_SNAPSHOT_CHUNK_SIZE) {
      yield data.subarray(at, at + DEFAULT_SNAPSHOT_CHUNK_SIZE);
    }
  }

  /** Stores a snapshot from chunks. Default: joins them and calls `_createSnapshot`. */
  protected async _writeSnapshot(
    metadata: SnapshotMetadata,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const c of chunks) {
      parts.push(c);
      size += c.length;
    }
    const data = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    await this._createSnapshot(metadata, data);
  }
}

/** Runs `run` now: its result (a promise it returns is passed on as is), or what it threw, as a promise. */
function startNow<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what `run` threw, as an async function would pass it on
    return Promise.reject(err);
  }
}
