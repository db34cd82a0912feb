import { join } from 'node:path';
import { EMPTY_BYTES, type Snapshot, type SnapshotMetadata } from '../../raft/entry.js';
import { SnapshotTemporarilyUnavailableError } from '../../raft/errors.js';
import { NotOpenError } from '../../lifecycle.js';
import { StorageInvalidArgumentError } from '../errors.js';
import { initialMetadata } from '../level-load.js';
import { buildLogView, LogViewStorage } from '../log-view.js';
import { checkStageMetadata, decodeSnapshotRef, encodeSnapshotRef, type SnapshotStaging } from '../snapshot-ref.js';
import type { SaveRequest } from '../storage.js';
import { DEFAULT_SNAPSHOT_CHUNK_SIZE } from '../abstract-storage.js';
import { listDir, preallocate, readSnapshotFile, removeFiles, segmentName, snapshotName, writeSnapshotFile, writeSnapshotStream } from './files.js';
import { FRAME_HEADER, FrameWriter, RecordType, type SegmentState } from './format.js';
import { LiveRuns } from './live-runs.js';
import { nodeWalFileSystem, unsyncedWalFileSystem, type WalFile, type WalFileSystem } from './wal-fs.js';
import { loadWal, type WalStorageRecovery } from './wal-load.js';

export type { WalStorageRecovery } from './wal-load.js';

/** The default segment size: 64 MiB (as etcd's WAL). */
export const DEFAULT_SEGMENT_SIZE = 64 << 20;

const SPARE = 'spare.tmp';

/** Unsynced records are held back until a synced write carries them, up to this many bytes. */
const MAX_HELD_BYTES = 256 << 10;

/** How to open a {@link WalStorage}. */
export interface WalStorageOptions {
  /** The directory of the log; created when missing. One storage per directory. */
  dir: string;
  /** The initial voters, used only when the directory is empty. */
  voters?: number[] | undefined;
  /** The initial learners, used only when the directory is empty. */
  learners?: number[] | undefined;
  /** The size of each preallocated segment file, in bytes (a larger frame gets a larger segment). Default 64 MiB. */
  segmentSize?: number | undefined;
  /**
   * The file operations to use (default: node:fs). A seam for tests that model the disk, such
   * as a power cut that loses every write not yet durable; see {@link WalFileSystem}.
   */
  fs?: WalFileSystem | undefined;
  /**
   * Never fsync (etcd's `--unsafe-no-fsync`): segment files are written without `O_DSYNC`, and
   * no file or directory is flushed. A synced `save` then
   * resolves once the bytes are in the page cache: a crash of the machine can lose entries and
   * votes already acknowledged, which breaks Raft's safety. For tests and throw-away clusters
   * only. Default false.
   */
  noSync?: boolean | undefined;
}

/**
 * A durable {@link Storage} built for the Raft log: a write-ahead log of append-only segment
 * files in one directory, as etcd's WAL, hashicorp's raft-wal and TiKV's raft-engine keep it.
 *
 * - Segments are preallocated (zero-filled and fsynced before use, the next one in the
 *   background), so writes land in place and their flush carries data only, no metadata.
 * - A synced `save` (entries, hard state, any snapshot record) is one frame with a CRC-32C,
 *   written with one `pwrite` on a file opened `O_DSYNC`: the write and its flush are one
 *   system call and one trip to libuv's thread pool, never one per entry, and the event loop
 *   never waits for the disk (measured: flushing on the main thread instead was several times
 *   slower on a busy 2-core machine, and blocks everything else). An unsynced `save` (a commit-only hard state) or `compact` is
 *   held in memory and goes out in front of the next synced write, in the same frame; it is
 *   lost if the process dies first, which its `sync: false` allows.
 * - The hard state lives in the log as a record (it is written with the entries it goes with,
 *   in the same frame); every segment starts with a header holding the state so far.
 * - Snapshot data is a file per snapshot, written to a temporary name, fsynced and renamed
 *   before the log refers to it. A snapshot can be staged from chunks as they come
 *   ({@link WalStorage.stageSnapshot}: written outside the Ready loop's writes, never held in
 *   one buffer) and made current by reference; its data is then read back from the file
 *   when needed.
 * - After compaction, segments holding only compacted entries are deleted.
 *
 * On open every frame is checked and replayed into an in-memory view that the core's
 * synchronous reads use. A torn tail is cut by the rule {@link WalStorageRecovery} states (the
 * same as `LevelStorage`'s); any other damage fails `open` with a `CorruptStorageError`
 * (`'ERR_CORRUPT'`).
 */
export class WalStorage extends LogViewStorage implements SnapshotStaging {
  /** What was cut from a torn tail during the last open, or `undefined` if nothing was. */
  recovery: WalStorageRecovery | undefined;
  readonly #dir: string;
  readonly #fs: WalFileSystem;
  readonly #segmentSize: number;
  readonly #options: WalStorageOptions;
  readonly #frame = new FrameWriter();
  /** The current snapshot: its data is `undefined` while it is only in its file (made current by reference). */
  #snap: { data: Uint8Array | undefined; metadata: SnapshotMetadata; byteLength: number } = { data: EMPTY_BYTES, metadata: initialMetadata(), byteLength: 0 };
  /** Snapshots staged and not yet current, by index. */
  readonly #staged = new Map<number, { term: number; byteLength: number }>();
  #snapLoad: Promise<void> | undefined;
  #runs = new LiveRuns();
  #segments: number[] = [];
  #fh: WalFile | undefined;
  #pos = 0;
  #size = 0;
  #spare: Promise<boolean> | undefined;
  #walBytes = 0;

  /** @param options - where the log lives; call {@link WalStorage.open} before use. */
  constructor(options: WalStorageOptions) {
    super({ persistent: true, checksums: true, snapshotStreams: true });
    if (typeof options.dir !== 'string' || options.dir === '') throw new StorageInvalidArgumentError('options.dir must be a directory path');
    const size = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (!Number.isSafeInteger(size) || size < 4096) {
      throw new StorageInvalidArgumentError(`segmentSize must be an integer of at least 4096, got ${size}`);
    }
    this.#options = options;
    this.#dir = options.dir;
    const fs = options.fs ?? nodeWalFileSystem;
    this.#fs = options.noSync === true ? unsyncedWalFileSystem(fs) : fs;
    this.#segmentSize = size;
  }

  /** Whether the log is written without fsync (the `noSync` option). */
  get noSync(): boolean {
    return this.#options.noSync === true;
  }

  /** Creates a storage and opens it. */
  static async open(options: WalStorageOptions): Promise<WalStorage> {
    const s = new WalStorage(options);
    await s.open();
    return s;
  }

  /**
   * The bytes written to the log's segment files by this object (every open included): each
   * frame with its header and padding, as it goes to the file. The zero-fill that preallocates
   * a segment is not counted (etcd's WAL preallocates with `fallocate`, which writes nothing),
   * nor are snapshot data files (etcd keeps those outside its WAL too).
   */
  get walBytesWritten(): number {
    return this.#walBytes;
  }

  /** The segment files kept, oldest first (for inspection and tests). */
  get segments(): readonly string[] {
    return this.#segments.map(segmentName);
  }

  protected override async _open(): Promise<void> {
    const dir = this.#dir;
    const fs = this.#fs;
    await fs.mkdir(dir);
    const loaded = await loadWal(fs, dir, initialMetadata(this.#options.voters, this.#options.learners));
    const snapMd = loaded.snapshot;
    const view = buildLogView(loaded.offset, loaded.entries, loaded.hardState, snapMd);
    const data = snapMd.index > 0 ? await readSnapshotFile(fs, dir, snapMd.index) : EMPTY_BYTES;
    this.view = view;
    this.#snap = { data, metadata: snapMd, byteLength: data.length };
    this.#staged.clear();
    this.#runs = loaded.runs;
    this.#segments = loaded.segments;
    this.recovery = loaded.recovery;
    await removeFiles(fs, dir, loaded.snapshotFiles.filter((i) => i !== snapMd.index).map(snapshotName));
    if (loaded.segments.length === 0) {
      // A new store: the first segment's header records the starting configuration.
      this.#frame.begin();
      await this.#roll(this.#frame.finish());
    } else {
      this.#fh = await fs.open(join(dir, segmentName(loaded.segments[loaded.segments.length - 1]!)), 'log');
      this.#pos = loaded.position;
      this.#size = loaded.size;
      await this.#release();
    }
  }

  protected override async _close(): Promise<void> {
    await this.#snapLoad;
    await this.#flush();
    await this.#spare;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  /**
   * The current snapshot. One made current by reference has its data only in its file: the
   * first call starts loading it and throws `SnapshotTemporarilyUnavailableError`, so the
   * leader retries.
   */
  protected _snapshot(): Snapshot {
    const snap = this.#snap;
    if (snap.data !== undefined) return { data: snap.data, metadata: snap.metadata };
    this.#snapLoad ??= readSnapshotFile(this.#fs, this.#dir, snap.metadata.index).then(
      (data) => {
        if (this.#snap === snap) snap.data = data;
      },
      () => undefined,
    ).finally(() => {
      this.#snapLoad = undefined;
    });
    throw new SnapshotTemporarilyUnavailableError(`snapshot at ${snap.metadata.index} is being loaded`);
  }

  /** {@inheritDoc SnapshotStaging.snapshotRef} */
  snapshotRef(): Snapshot {
    if (this.status !== 'open') throw new NotOpenError('storage: snapshotRef', this.status);
    const { metadata, byteLength } = this.#snap;
    return { data: encodeSnapshotRef({ index: metadata.index, term: metadata.term, byteLength }), metadata };
  }

  /**
   * Writes `chunks` to the snapshot file of `metadata.index` as they arrive (fsynced and
   * renamed into place, not yet referred to by the log) and resolves to its reference (see
   * `SnapshotStaging.stageSnapshot`). This runs beside the Ready loop's writes; only `save` or
   * `createSnapshot` with the reference, which makes it current, is a write of the log. A
   * staged snapshot never made current is removed by the next open.
   */
  async stageSnapshot(metadata: Pick<SnapshotMetadata, 'index' | 'term'>, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
    if (this.status !== 'open') throw new NotOpenError('storage: stageSnapshot', this.status);
    checkStageMetadata(metadata, this.#snap.metadata.index);
    const { index, term } = metadata;
    this.#staged.delete(index);
    const byteLength = await writeSnapshotStream(this.#fs, this.#dir, index, chunks);
    this.#staged.set(index, { term, byteLength });
    return encodeSnapshotRef({ index, term, byteLength });
  }

  /** Whether `data` is a reference to the snapshot staged at `md`; throws when it refers to one not staged. */
  #adopts(data: Uint8Array, md: SnapshotMetadata): boolean {
    const ref = decodeSnapshotRef(data);
    if (ref === undefined) return false;
    const staged = this.#staged.get(md.index);
    if (staged === undefined || staged.term !== md.term || staged.byteLength !== ref.byteLength) {
      throw new StorageInvalidArgumentError(`snapshot data at ${md.index} is a reference to a snapshot that was not staged`);
    }
    return true;
  }

  /** Makes the snapshot at `md` current in memory (`data` undefined: only in its file). */
  #setSnapshot(md: SnapshotMetadata, data: Uint8Array | undefined, byteLength: number): void {
    this.#snap = { data, metadata: md, byteLength };
    for (const i of [...this.#staged.keys()]) if (i <= md.index) this.#staged.delete(i);
  }

  protected override _readSnapshotChunks(index: number): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
    if (this.#snap.data !== undefined) return super._readSnapshotChunks(index);
    return fileChunks(this.#fs, this.#dir, index);
  }

  protected override _snapshotMetadata(): SnapshotMetadata {
    return this.#snap.metadata;
  }

  protected _save(req: SaveRequest): void | Promise<void> {
    if (req.snapshot !== undefined) return this.#saveSnapshot(req, req.snapshot);
    // The common case, without an async function's frames: one promise for a synced write, none otherwise.
    const w = this.#frame;
    for (const e of req.entries) w.entry(e);
    if (req.hardState !== undefined) w.hardState(req.hardState);
    if (req.sync || w.size > MAX_HELD_BYTES) return this.#flush().then((seq) => this.#saved(req, seq));
    this.#saved(req, this.#active());
  }

  /** A save with a snapshot: its file is written (unless staged) before the frame that installs it. */
  async #saveSnapshot(req: SaveRequest, snap: Snapshot): Promise<void> {
    const w = this.#frame;
    const adopted = this.#adopts(snap.data, snap.metadata);
    if (!adopted) await writeSnapshotFile(this.#fs, this.#dir, snap.metadata.index, snap.data);
    w.snapshot(RecordType.Install, snap.metadata);
    for (const e of req.entries) w.entry(e);
    if (req.hardState !== undefined) w.hardState(req.hardState);
    const seq = await this.#flush();
    this.view.applySnapshot({ data: EMPTY_BYTES, metadata: snap.metadata });
    const byteLength = adopted ? this.#staged.get(snap.metadata.index)!.byteLength : snap.data.length;
    this.#setSnapshot(snap.metadata, adopted ? undefined : snap.data, byteLength);
    this.#runs.reset();
    this.#saved(req, seq);
    await this.#snapshotChanged(snap.metadata.index);
  }

  /** Makes a save's entries and hard state visible to the reads, once written (`seq`: the segment the entries went to). */
  #saved(req: SaveRequest, seq: number): void {
    const e0 = req.entries[0];
    if (e0 !== undefined) {
      this.view.append(req.entries);
      // Held entries may land in the next segment; noting the current one only keeps a segment longer.
      this.#runs.append(e0.index, seq);
    }
    if (req.hardState !== undefined) this.view.setHardState(req.hardState);
  }

  /** Records a snapshot; `data` may be a reference to a staged snapshot (then only the log record is written). */
  protected async _createSnapshot(md: SnapshotMetadata, data: Uint8Array): Promise<Snapshot> {
    const adopted = this.#adopts(data, md);
    if (!adopted) await writeSnapshotFile(this.#fs, this.#dir, md.index, data);
    this.#frame.snapshot(RecordType.Snapshot, md);
    await this.#flush();
    this.view.createSnapshot(md.index, md.confState, EMPTY_BYTES);
    this.#setSnapshot(md, adopted ? undefined : data, adopted ? this.#staged.get(md.index)!.byteLength : data.length);
    await this.#snapshotChanged(md.index);
    return { data, metadata: md };
  }

  protected async _compact(index: number): Promise<void> {
    this.#frame.compact(index, this.view.term(index));
    this.view.compact(index);
    this.#runs.compact(index);
    await this.#release();
  }

  /** Removes the files of older snapshots, once the log durably refers to the one at `index` (newer staged ones stay). */
  async #snapshotChanged(index: number): Promise<void> {
    const { snapshots } = await listDir(this.#fs, this.#dir);
    await removeFiles(this.#fs, this.#dir, snapshots.filter((i) => i < index).map(snapshotName));
    await this.#release();
  }

  /** The state a new segment's header records: everything before the records held. */
  #state(): SegmentState {
    const first = this.view.firstIndex();
    return {
      hardState: this.view.initialState().hardState,
      offset: { index: first - 1, term: this.view.term(first - 1) },
      snapshot: this.#snap.metadata,
    };
  }

  #active(): number {
    return this.#segments[this.#segments.length - 1]!;
  }

  /**
   * Writes the records held so far as one frame at the end of the log, durably (rolling to a
   * new segment if it does not fit); resolves to the segment it went to.
   */
  #flush(): Promise<number> {
    const w = this.#frame;
    if (w.empty) return Promise.resolve(this.#active());
    const frame = w.finish();
    const written = this.#fh === undefined || this.#pos + frame.length > this.#size ? this.#roll(frame) : this.#write(frame, this.#pos).then(() => {
      this.#pos += frame.length;
    });
    return written.then(this.#flushed);
  }

  /** After a flush's write: the frame writer starts over, the spare segment is prepared when due; resolves to the active segment. */
  readonly #flushed = (): number => {
    this.#frame.begin();
    if (this.#spare === undefined && this.#pos > this.#size / 2) this.#prepareSpare();
    return this.#active();
  };

  /** One pwrite on the O_DSYNC segment file: resolves once the bytes are on disk. */
  #write(buf: Buffer, at: number): Promise<void> {
    this.#walBytes += buf.length;
    return this.#fh!.write(buf, at);
  }

  /** Starts zero-filling the next segment in the background (see `preallocate`). */
  #prepareSpare(): void {
    this.#spare = preallocate(this.#fs, join(this.#dir, SPARE), this.#segmentSize).then(
      () => true,
      () => false,
    );
  }

  /**
   * Starts a new segment whose first frame is a header (the state so far) followed by the
   * records of `frame`, so that a segment never starts without its header. (Every earlier
   * write is already durable, so no later segment can outlive an earlier one's tail.)
   */
  async #roll(frame: Buffer): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
    const payload = Buffer.from(frame.subarray(FRAME_HEADER, FRAME_HEADER + frame.readUInt32LE(0)));
    const seq = this.#segments.length === 0 ? 0 : this.#active() + 1;
    const w = this.#frame;
    w.begin();
    w.header(seq, this.#state());
    w.raw(payload);
    const first = w.finish();
    const size = Math.max(this.#segmentSize, first.length);
    const path = join(this.#dir, segmentName(seq));
    const spare = this.#spare;
    this.#spare = undefined;
    const fs = this.#fs;
    if (size === this.#segmentSize && spare !== undefined && (await spare)) {
      await fs.rename(join(this.#dir, SPARE), path);
    } else {
      await preallocate(fs, join(this.#dir, `${segmentName(seq)}.tmp`), size);
      await fs.rename(join(this.#dir, `${segmentName(seq)}.tmp`), path);
    }
    await fs.syncDir(this.#dir);
    this.#fh = await fs.open(path, 'log');
    this.#segments.push(seq);
    this.#size = size;
    await this.#write(first, 0);
    this.#pos = first.length;
    w.begin();
  }

  /**
   * Deletes the segments before the oldest one still holding a live entry. The record that
   * made them unneeded (a compaction or a snapshot) is flushed first, so a crash cannot
   * bring back a log that refers to them.
   */
  async #release(): Promise<void> {
    const active = this.#segments[this.#segments.length - 1]!;
    const oldest = this.#runs.oldestNeeded(this.view.firstIndex(), this.view.lastIndex(), active);
    const drop = this.#segments.filter((s) => s < oldest);
    if (drop.length === 0) return;
    await this.#flush();
    this.#segments = this.#segments.filter((s) => s >= oldest);
    await removeFiles(this.#fs, this.#dir, drop.map(segmentName));
  }
}

/**
 * The data of the snapshot file at `index`, checked, in 1 MiB chunks.
 *
 * @yields {Uint8Array} the chunks, in order.
 */
async function* fileChunks(fs: WalFileSystem, dir: string, index: number): AsyncGenerator<Uint8Array> {
  const data = await readSnapshotFile(fs, dir, index);
  for (let at = 0; at < data.length; at += DEFAULT_SNAPSHOT_CHUNK_SIZE) yield data.subarray(at, at + DEFAULT_SNAPSHOT_CHUNK_SIZE);
}
