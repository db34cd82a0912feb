import type { AbstractBatchOptions } from 'abstract-level';
import { packEntry } from '../codec/message.js';
import { encodeHardState, encodeSnapshotMetadata } from '../codec/state.js';
import { EMPTY_BYTES, EntryType, type Entry, type Snapshot, type SnapshotMetadata } from '../raft/entry.js';
import { SnapshotTemporarilyUnavailableError } from '../raft/errors.js';
import { NotOpenError } from '../lifecycle.js';
import { DEFAULT_SNAPSHOT_CHUNK_SIZE } from './abstract-storage.js';
import { StorageInvalidArgumentError, StorageOpenError } from './errors.js';
import { buildLogView, LogViewStorage } from './log-view.js';
import { chunkKey, KEY_HARD_STATE, KEY_SNAPSHOT, logKey, SUBLEVEL_LOG, SUBLEVEL_META, SUBLEVEL_SNAP } from './keys.js';
import {
  initialMetadata,
  loadLevelState,
  readChunks,
  readSnapshotData,
  type AnyLevel,
  type LevelParts,
  type LevelStorageRecovery,
  type StoredSnapshot,
} from './level-load.js';
import { writeChunks } from './level-chunks.js';
import { CHECKSUM_SIZE, encodeSnapshotHeader, seal, sealInPlace } from './records.js';
import { checkStageMetadata, decodeSnapshotRef, encodeSnapshotRef, type SnapshotStaging } from './snapshot-ref.js';
import type { SaveRequest } from './storage.js';

export type { AnyLevel, LevelStorageRecovery } from './level-load.js';

/** Options shared by both ways of opening a {@link LevelStorage}. */
export interface LevelStorageBaseOptions {
  /** The initial voters, used only when the store is empty (as `MemoryStorage`'s option). */
  voters?: number[] | undefined;
  /** The initial learners, used only when the store is empty. */
  learners?: number[] | undefined;
  /** The size of the chunks snapshot data is stored in, in bytes. Default 1 MiB. */
  snapshotChunkSize?: number | undefined;
  /**
   * The largest snapshot whose data `open` loads into memory, in bytes. A larger one stays on
   * disk: it is read chunk by chunk (`readSnapshotChunks`, `snapshotRef`), and only a call of
   * `snapshot()` loads it (that call throws `SnapshotTemporarilyUnavailableError` while it
   * loads, as after `writeSnapshot`). Default 4 MiB.
   */
  snapshotLoadBytes?: number | undefined;
  /**
   * Never ask the database to fsync (etcd's `--unsafe-no-fsync`): a synced `save` resolves once
   * classic-level has the batch, not once it is on the disk, so a crash of the machine can lose
   * acknowledged entries and votes. For tests and throw-away clusters only. Default false.
   */
  noSync?: boolean | undefined;
}

/** Opens a `classic-level` (LevelDB) database at `path`, which the storage owns and closes. */
export interface LevelStoragePathOptions extends LevelStorageBaseOptions {
  /** The directory of the database; created when missing. */
  path: string;
}

/**
 * Uses an abstract-level database the caller owns (for example a `memory-level` in tests): the
 * storage opens it if needed and never closes it, so the caller can reopen a storage over it.
 */
export interface LevelStorageDbOptions extends LevelStorageBaseOptions {
  /** The database; the storage writes under three sublevels of it. */
  db: AnyLevel;
}

/** How to open a {@link LevelStorage}: at a path on disk, or over a given database. */
export type LevelStorageOptions = LevelStoragePathOptions | LevelStorageDbOptions;

/** The default `snapshotLoadBytes`: 4 MiB. */
const DEFAULT_SNAPSHOT_LOAD_BYTES = 4 * 1024 * 1024;

type BatchOp =
  | { type: 'put'; sublevel: LevelParts['log']; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; sublevel: LevelParts['log']; key: Uint8Array };

/** The sealed log record of `e`, encoded straight behind its checksum (no second copy). */
function sealedEntry(e: Entry): Uint8Array {
  return sealInPlace(packEntry(e, CHECKSUM_SIZE));
}

/** The sealed dummy record that holds a compaction point's index and term. */
function sealedDummy(index: number, term: number): Uint8Array {
  return sealedEntry({ index, term, type: EntryType.EntryNormal, data: EMPTY_BYTES });
}

/** The sealed header of a stored snapshot. */
function sealedHeader(s: StoredSnapshot): Uint8Array {
  return seal(encodeSnapshotHeader({ chunks: s.chunks, byteLength: s.byteLength, metadata: encodeSnapshotMetadata(s.metadata) }));
}

/**
 * A durable {@link Storage} over any abstract-level database: `classic-level` on disk by
 * default, or any other (such as `memory-level`).
 *
 * On open it loads the hard state, the snapshot and the un-compacted log into an in-memory
 * view (a `MemoryStorage`) that the core's synchronous reads use; every write goes to the
 * database in one atomic batch first and reaches the view only once the batch has resolved.
 * Memory holds the log since the compaction point, and the current snapshot's data when it is
 * small (see `snapshotLoadBytes`).
 *
 * Snapshots of any size: {@link LevelStorage.stageSnapshot} and {@link LevelStorage.snapshotRef}
 * (see `SnapshotStaging`) let a replica write, send, receive, restore and restart on a snapshot
 * chunk by chunk; only `snapshot()` joins the chunks into one buffer.
 *
 * Every value carries a CRC-32C, checked on open. A damaged tail of unacknowledged entries is
 * cut (see {@link LevelStorage.recovery} and `loadLevelState` for the exact rule); any other
 * damage fails `open` with a `CorruptStorageError` (`'ERR_CORRUPT'`).
 */
export class LevelStorage extends LogViewStorage implements SnapshotStaging {
  /** What was removed from a torn log tail during the last open, or `undefined` if nothing was. */
  recovery: LevelStorageRecovery | undefined;
  readonly #options: LevelStorageOptions;
  readonly #chunkSize: number;
  #db: AnyLevel | undefined;
  #parts: LevelParts | undefined;
  #stored: StoredSnapshot = { metadata: initialMetadata(), chunks: 0, byteLength: 0 };
  /** The current snapshot with its data, once loaded; `undefined` while it is only on disk. */
  #snap: Snapshot | undefined;
  #snapLoad: Promise<void> | undefined;
  /** The snapshots whose chunks {@link LevelStorage.stageSnapshot} stored, not current yet, by index. */
  readonly #staged = new Map<number, StoredSnapshot>();
  /** The stagings in progress, by index (a second staging of an index waits for the first). */
  readonly #staging = new Map<number, Promise<unknown>>();

  /** @param options - where the data lives; call {@link LevelStorage.open} before use. */
  constructor(options: LevelStorageOptions) {
    super({ persistent: 'path' in options, checksums: true, snapshotStreams: true });
    const chunkSize = options.snapshotChunkSize ?? DEFAULT_SNAPSHOT_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
      throw new StorageInvalidArgumentError(`snapshotChunkSize must be a positive integer, got ${chunkSize}`);
    }
    const loadBytes = options.snapshotLoadBytes;
    if (loadBytes !== undefined && (!Number.isSafeInteger(loadBytes) || loadBytes < 0)) {
      throw new StorageInvalidArgumentError(`snapshotLoadBytes must be a non-negative integer, got ${loadBytes}`);
    }
    if (!('path' in options) && !('db' in options)) throw new StorageInvalidArgumentError('options need a path or a db');
    this.#options = options;
    this.#chunkSize = chunkSize;
  }

  /** Creates a storage and opens it: `LevelStorage.open({ path })` or `LevelStorage.open({ db })`. */
  static async open(options: LevelStorageOptions): Promise<LevelStorage> {
    const s = new LevelStorage(options);
    await s.open();
    return s;
  }

  /** The underlying database while the storage is open (or was last open). */
  get db(): AnyLevel | undefined {
    return this.#db;
  }

  protected override async _open(): Promise<void> {
    const opts = this.#options;
    const where = 'path' in opts ? opts.path : 'the given db';
    let db: AnyLevel;
    try {
      if ('path' in opts) {
        const { ClassicLevel } = await import('classic-level');
        db = new ClassicLevel<Uint8Array, Uint8Array>(opts.path, { keyEncoding: 'view', valueEncoding: 'view' });
      } else {
        db = opts.db;
      }
      await db.open();
    } catch (err) {
      throw new StorageOpenError(where, `LevelStorage: cannot open ${where}: ${openFailure(err)}`, { cause: err });
    }
    try {
      const enc = { keyEncoding: 'view', valueEncoding: 'view' } as const;
      const parts: LevelParts = {
        log: db.sublevel<Uint8Array, Uint8Array>(SUBLEVEL_LOG, enc),
        meta: db.sublevel<Uint8Array, Uint8Array>(SUBLEVEL_META, enc),
        snap: db.sublevel<Uint8Array, Uint8Array>(SUBLEVEL_SNAP, enc),
      };
      await Promise.all([parts.log.open(), parts.meta.open(), parts.snap.open()]);
      await this.#load(parts, db);
      this.#db = db;
      this.#parts = parts;
    } catch (err) {
      if ('path' in opts) await db.close();
      throw err;
    }
  }

  async #load(parts: LevelParts, db: AnyLevel): Promise<void> {
    const state = await loadLevelState(parts, initialMetadata(this.#options.voters, this.#options.learners));
    if (state.fresh) {
      // Persist the starting point (dummy entry 0, initial configuration) so that later opens
      // find a complete store whatever options they pass.
      await db.batch(
        [
          { type: 'put', sublevel: parts.log, key: logKey(0), value: sealedDummy(0, 0) },
          { type: 'put', sublevel: parts.meta, key: KEY_SNAPSHOT, value: sealedHeader(state.snapshot) },
        ],
        { sync: !this.noSync } as AbstractBatchOptions<Uint8Array, Uint8Array>,
      );
    }
    const snapMd = state.snapshot.metadata;
    const small = state.snapshot.byteLength <= (this.#options.snapshotLoadBytes ?? DEFAULT_SNAPSHOT_LOAD_BYTES);
    const data = small ? await readSnapshotData(parts, state.snapshot) : undefined;
    // Chunks of other snapshots are leftovers of an interrupted write; they hold nothing current.
    await parts.snap.clear({ lt: chunkKey(snapMd.index, 0) });
    await parts.snap.clear({ gte: chunkKey(snapMd.index + 1, 0) });
    // Cutting a torn tail (the rule is on loadLevelState). If this is lost, the next open cuts again.
    if (state.recovery !== undefined) await parts.log.clear({ gte: logKey(state.recovery.truncatedFrom) });
    const view = buildLogView(state.offset, state.entries, state.hardState, snapMd);
    this.view = view;
    this.#stored = state.snapshot;
    this.#snap = data === undefined ? undefined : { data, metadata: snapMd };
    this.recovery = state.recovery;
  }

  protected override async _close(): Promise<void> {
    await this.#snapLoad?.catch(() => undefined);
    if ('path' in this.#options) await this.#db?.close();
    this.#parts = undefined;
  }

  protected override _snapshotMetadata(): SnapshotMetadata {
    return this.#stored.metadata;
  }

  /**
   * The current snapshot. After `writeSnapshot` its data is only on disk: the first call
   * starts loading it and throws `SnapshotTemporarilyUnavailableError`, so the leader retries.
   */
  protected _snapshot(): Snapshot {
    if (this.#snap !== undefined) return this.#snap;
    if (this.#snapLoad === undefined) {
      const stored = this.#stored;
      const parts = this.#partsOrThrow();
      this.#snapLoad = readSnapshotData(parts, stored).then(
        (data) => {
          if (this.#stored === stored) this.#snap = { data, metadata: stored.metadata };
        },
        () => undefined,
      ).finally(() => {
        this.#snapLoad = undefined;
      });
    }
    throw new SnapshotTemporarilyUnavailableError(`snapshot at ${this.#stored.metadata.index} is being loaded`);
  }

  /** {@inheritDoc SnapshotStaging.snapshotRef} */
  snapshotRef(): Snapshot {
    if (this.status !== 'open') throw new NotOpenError('storage: snapshotRef', this.status);
    const s = this.#stored;
    return { data: encodeSnapshotRef({ index: s.metadata.index, term: s.metadata.term, byteLength: s.byteLength }), metadata: s.metadata };
  }

  /**
   * Stores `chunks` as the data of the snapshot at `metadata.index` without making it current
   * and resolves to its reference (see `SnapshotStaging.stageSnapshot`). The chunks are written with unsynced writes as they arrive (the synced write that makes
   * the snapshot current comes later); a staged snapshot never made current is removed by
   * the next stage or open.
   */
  async stageSnapshot(
    metadata: Pick<SnapshotMetadata, 'index' | 'term'>,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<Uint8Array> {
    if (this.status !== 'open') throw new NotOpenError('storage: stageSnapshot', this.status);
    checkStageMetadata(metadata, this.#stored.metadata.index);
    const { index, term } = metadata;
    const parts = this.#partsOrThrow();
    const before = this.#staging.get(index);
    const run = (async () => {
      await before?.catch(() => undefined);
      this.#staged.delete(index);
      const written = await writeChunks(parts.snap, index, this.#chunkSize, chunks);
      this.#staged.set(index, { metadata: { index, term, confState: this.#stored.metadata.confState }, ...written });
      return encodeSnapshotRef({ index, term, byteLength: written.byteLength });
    })();
    this.#staging.set(index, run);
    try {
      return await run;
    } finally {
      if (this.#staging.get(index) === run) this.#staging.delete(index);
    }
  }


  /** The staged snapshot `data` refers to (with `metadata`), or `undefined` when `data` is no reference. */
  #adoptStaged(data: Uint8Array, md: SnapshotMetadata): StoredSnapshot | undefined {
    const ref = decodeSnapshotRef(data);
    if (ref === undefined) return undefined;
    const staged = this.#staged.get(md.index);
    if (staged === undefined || staged.metadata.term !== md.term || staged.byteLength !== ref.byteLength) {
      throw new StorageInvalidArgumentError(`snapshot data at ${md.index} is a reference to a snapshot that was not staged`);
    }
    return { ...staged, metadata: md };
  }

  #partsOrThrow(): LevelParts {
    if (this.#parts === undefined) throw new StorageInvalidArgumentError('storage has no open database');
    return this.#parts;
  }

  /** Writes `ops` atomically; `sync` is classic-level's fsync-before-resolve option, which others ignore. */
  async #batch(ops: BatchOp[], sync: boolean): Promise<void> {
    if (this.#db === undefined) throw new StorageInvalidArgumentError('storage has no open database');
    await this.#db.batch(ops, { sync: sync && !this.noSync } as AbstractBatchOptions<Uint8Array, Uint8Array>);
  }

  /** Whether the database is written without fsync (the `noSync` option). */
  get noSync(): boolean {
    return this.#options.noSync === true;
  }

  /** Ops that make `next` current: its header, and deleting the previous snapshot's chunks. */
  #snapshotSwapOps(parts: LevelParts, next: StoredSnapshot): BatchOp[] {
    const ops: BatchOp[] = [{ type: 'put', sublevel: parts.meta, key: KEY_SNAPSHOT, value: sealedHeader(next) }];
    const old = this.#stored;
    for (let c = 0; c < old.chunks; c++) ops.push({ type: 'del', sublevel: parts.snap, key: chunkKey(old.metadata.index, c) });
    return ops;
  }

  #chunkOps(parts: LevelParts, index: number, data: Uint8Array): { ops: BatchOp[]; chunks: number } {
    const ops: BatchOp[] = [];
    let c = 0;
    for (let at = 0; at < data.length; at += this.#chunkSize, c++) {
      ops.push({ type: 'put', sublevel: parts.snap, key: chunkKey(index, c), value: seal(data.subarray(at, at + this.#chunkSize)) });
    }
    return { ops, chunks: c };
  }

  protected async _save(req: SaveRequest): Promise<void> {
    const parts = this.#partsOrThrow();
    const ops: BatchOp[] = [];
    let last = this.view.lastIndex();
    let stored: StoredSnapshot | undefined;
    const snap = req.snapshot;
    if (snap !== undefined) {
      const md = snap.metadata;
      for (let i = this.view.firstIndex() - 1; i <= last; i++) ops.push({ type: 'del', sublevel: parts.log, key: logKey(i) });
      ops.push({ type: 'put', sublevel: parts.log, key: logKey(md.index), value: sealedDummy(md.index, md.term) });
      stored = this.#adoptStaged(snap.data, md);
      if (stored === undefined) {
        const chunked = this.#chunkOps(parts, md.index, snap.data);
        stored = { metadata: md, chunks: chunked.chunks, byteLength: snap.data.length };
        ops.push(...chunked.ops);
      }
      ops.push(...this.#snapshotSwapOps(parts, stored));
      last = md.index;
    }
    const e0 = req.entries[0];
    if (e0 !== undefined) {
      const newLast = e0.index + req.entries.length - 1;
      for (let i = newLast + 1; i <= last; i++) ops.push({ type: 'del', sublevel: parts.log, key: logKey(i) });
      for (const e of req.entries) ops.push({ type: 'put', sublevel: parts.log, key: logKey(e.index), value: sealedEntry(e) });
    }
    if (req.hardState !== undefined) {
      ops.push({ type: 'put', sublevel: parts.meta, key: KEY_HARD_STATE, value: seal(encodeHardState(req.hardState)) });
    }
    if (ops.length > 0) await this.#batch(ops, req.sync);
    if (snap !== undefined && stored !== undefined) {
      this.view.applySnapshot({ data: EMPTY_BYTES, metadata: snap.metadata });
      this.#setCurrent(stored, decodeSnapshotRef(snap.data) === undefined ? snap : undefined);
    }
    this.view.append(req.entries);
    if (req.hardState !== undefined) this.view.setHardState(req.hardState);
  }

  /** Makes `stored` the current snapshot; `snap` holds its data when it is in memory. */
  #setCurrent(stored: StoredSnapshot, snap: Snapshot | undefined): void {
    this.#stored = stored;
    this.#snap = snap;
    const index = stored.metadata.index;
    for (const i of [...this.#staged.keys()]) {
      if (i > index) continue;
      this.#staged.delete(i);
      // Stale staged chunks; if this is lost, the next open removes them.
      if (i < index) void this.#parts?.snap.clear({ gte: chunkKey(i, 0), lt: chunkKey(i + 1, 0) }).catch(() => undefined);
    }
  }

  /** Records a snapshot; `data` may be a reference to a staged snapshot (then nothing is copied). */
  protected async _createSnapshot(md: SnapshotMetadata, data: Uint8Array): Promise<Snapshot> {
    const parts = this.#partsOrThrow();
    const staged = this.#adoptStaged(data, md);
    const chunked = staged === undefined ? this.#chunkOps(parts, md.index, data) : { ops: [], chunks: 0 };
    const stored: StoredSnapshot = staged ?? { metadata: md, chunks: chunked.chunks, byteLength: data.length };
    await this.#batch([...chunked.ops, ...this.#snapshotSwapOps(parts, stored)], true);
    this.view.createSnapshot(md.index, md.confState, EMPTY_BYTES);
    const snap = { data, metadata: md };
    this.#setCurrent(stored, staged === undefined ? snap : undefined);
    return snap;
  }

  protected async _compact(index: number): Promise<void> {
    const parts = this.#partsOrThrow();
    const ops: BatchOp[] = [];
    // The record at `index` stays: it becomes the dummy that holds the compaction point's term.
    for (let i = this.view.firstIndex() - 1; i < index; i++) ops.push({ type: 'del', sublevel: parts.log, key: logKey(i) });
    await this.#batch(ops, false);
    this.view.compact(index);
  }

  protected override _readSnapshotChunks(_index: number): AsyncIterable<Uint8Array> {
    return readChunks(this.#partsOrThrow(), this.#stored);
  }

  /**
   * Stores the chunks as they arrive, re-cut to the configured chunk size, with unsynced writes;
   * then one synced batch writes the header that makes the snapshot current. If this fails
   * part way, the chunks written are unreferenced and removed on the next open.
   */
  protected override async _writeSnapshot(
    md: SnapshotMetadata,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> {
    const parts = this.#partsOrThrow();
    this.#staged.delete(md.index);
    const stored: StoredSnapshot = { metadata: md, ...(await writeChunks(parts.snap, md.index, this.#chunkSize, chunks)) };
    await this.#batch(this.#snapshotSwapOps(parts, stored), true);
    this.view.createSnapshot(md.index, md.confState, EMPTY_BYTES);
    this.#setCurrent(stored, undefined);
  }

}

/** The deepest useful description of an abstract-level open failure (`LEVEL_LOCKED`, an IO error…). */
function openFailure(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${e.message} (${code})` : e.message);
  }
  return parts.length === 0 ? String(err) : parts.join(': ');
}
