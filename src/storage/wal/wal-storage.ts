import { join } from 'node:path';
import { EMPTY_BYTES, type Snapshot, type SnapshotMetadata } from '../../raft/entry.js';
import { StorageInvalidArgumentError } from '../errors.js';
import { initialMetadata } from '../level-load.js';
import { buildLogView, LogViewStorage } from '../log-view.js';
import type { SaveRequest } from '../storage.js';
import { listDir, preallocate, readSnapshotFile, removeFiles, segmentName, snapshotName, writeSnapshotFile } from './files.js';
import { FRAME_HEADER, FrameWriter, RecordType, type SegmentState } from './format.js';
import { LiveRuns } from './live-runs.js';
import { nodeWalFileSystem, type WalFile, type WalFileSystem } from './wal-fs.js';
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
 * - Snapshot data (small Raft snapshots; the state machine's own data belongs in the
 *   application's database, such as abstract-level) is a file per snapshot, written to a
 *   temporary name, fsynced and renamed before the log refers to it.
 * - After compaction, segments holding only compacted entries are deleted.
 *
 * On open every frame is checked and replayed into an in-memory view that the core's
 * synchronous reads use. A torn tail is cut by the rule {@link WalStorageRecovery} states (the
 * same as `LevelStorage`'s); any other damage fails `open` with a `CorruptStorageError`
 * (`'ERR_CORRUPT'`).
 */
export class WalStorage extends LogViewStorage {
  /** What was cut from a torn tail during the last open, or `undefined` if nothing was. */
  recovery: WalStorageRecovery | undefined;
  readonly #dir: string;
  readonly #fs: WalFileSystem;
  readonly #segmentSize: number;
  readonly #options: WalStorageOptions;
  readonly #frame = new FrameWriter();
  #snap: Snapshot = { data: EMPTY_BYTES, metadata: initialMetadata() };
  #runs = new LiveRuns();
  #segments: number[] = [];
  #fh: WalFile | undefined;
  #pos = 0;
  #size = 0;
  #spare: Promise<boolean> | undefined;

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
    this.#fs = options.fs ?? nodeWalFileSystem;
    this.#segmentSize = size;
  }

  /** Creates a storage and opens it. */
  static async open(options: WalStorageOptions): Promise<WalStorage> {
    const s = new WalStorage(options);
    await s.open();
    return s;
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
    this.#snap = { data, metadata: snapMd };
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
    await this.#flush();
    await this.#spare;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  protected _snapshot(): Snapshot {
    return this.#snap;
  }

  protected override _snapshotMetadata(): SnapshotMetadata {
    return this.#snap.metadata;
  }

  protected async _save(req: SaveRequest): Promise<void> {
    const snap = req.snapshot;
    const w = this.#frame;
    if (snap !== undefined) {
      await writeSnapshotFile(this.#fs, this.#dir, snap.metadata.index, snap.data);
      w.snapshot(RecordType.Install, snap.metadata);
    }
    for (const e of req.entries) w.entry(e);
    if (req.hardState !== undefined) w.hardState(req.hardState);
    const seq = req.sync || snap !== undefined || w.size > MAX_HELD_BYTES ? await this.#flush() : this.#active();
    if (snap !== undefined) {
      this.view.applySnapshot({ data: EMPTY_BYTES, metadata: snap.metadata });
      this.#snap = snap;
      this.#runs.reset();
    }
    const e0 = req.entries[0];
    if (e0 !== undefined) {
      this.view.append(req.entries);
      // Held entries may land in the next segment; noting the current one only keeps a segment longer.
      this.#runs.append(e0.index, seq);
    }
    if (req.hardState !== undefined) this.view.setHardState(req.hardState);
    if (snap !== undefined) await this.#snapshotChanged(snap.metadata.index);
  }

  protected async _createSnapshot(md: SnapshotMetadata, data: Uint8Array): Promise<Snapshot> {
    await writeSnapshotFile(this.#fs, this.#dir, md.index, data);
    this.#frame.snapshot(RecordType.Snapshot, md);
    await this.#flush();
    this.view.createSnapshot(md.index, md.confState, EMPTY_BYTES);
    this.#snap = { data, metadata: md };
    await this.#snapshotChanged(md.index);
    return this.#snap;
  }

  protected async _compact(index: number): Promise<void> {
    this.#frame.compact(index, this.view.term(index));
    this.view.compact(index);
    this.#runs.compact(index);
    await this.#release();
  }

  /** Removes the files of older snapshots, once the log durably refers to the one at `index`. */
  async #snapshotChanged(index: number): Promise<void> {
    const { snapshots } = await listDir(this.#fs, this.#dir);
    await removeFiles(this.#fs, this.#dir, snapshots.filter((i) => i !== index).map(snapshotName));
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
  async #flush(): Promise<number> {
    const w = this.#frame;
    if (w.empty) return this.#active();
    const frame = w.finish();
    if (this.#fh === undefined || this.#pos + frame.length > this.#size) {
      await this.#roll(frame);
    } else {
      await this.#write(frame, this.#pos);
      this.#pos += frame.length;
    }
    w.begin();
    if (this.#spare === undefined && this.#pos > this.#size / 2) this.#prepareSpare();
    return this.#active();
  }

  /** One pwrite on the O_DSYNC segment file: resolves once the bytes are on disk. */
  #write(buf: Buffer, at: number): Promise<void> {
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
