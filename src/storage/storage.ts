import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from '../raft/entry.js';
import type { LogStorage } from '../raft/log-storage.js';
import type { ResourceStatus } from '../lifecycle.js';

/** Re-exported from its home, `src/lifecycle.ts`, for existing importers. */
export type { ResourceStatus } from '../lifecycle.js';

/** One Ready's worth of state to persist atomically. */
export interface SaveRequest {
  /** The new hard state, if it changed. */
  hardState?: HardState | undefined;
  /**
   * New entries, with consecutive indexes; they replace any stored entries at or after
   * `entries[0].index` (the conflicting suffix is truncated). Entries the snapshot already
   * covers are ignored.
   */
  entries: readonly Entry[];
  /** A snapshot received from the leader, to install before the entries. */
  snapshot?: Snapshot | undefined;
  /** Whether the write must be fsynced before `save` resolves (the Ready's `mustSync`). */
  sync: boolean;
}

/**
 * What a storage adapter can do beyond the required contract, declared by the adapter (as
 * abstract-level's `db.supports`). The conformance suite reads it to include or skip test
 * groups; users can read it too. A missing manifest means every flag is `false`.
 */
export interface StorageCapabilities {
  /** Whether the contents outlive the process (they are on disk). */
  readonly persistent: boolean;
  /** Whether stored records carry checksums that are verified when they are loaded. */
  readonly checksums: boolean;
  /** Whether the adapter offers `readSnapshotChunks` and `writeSnapshot` (see {@link SnapshotStreams}). */
  readonly snapshotStreams: boolean;
  /**
   * Whether calls are checked: calls in the wrong lifecycle state are refused with
   * `'ERR_NOT_OPEN'`, bad arguments with `'ERR_STORAGE_INVALID_ARGUMENT'`, and
   * compaction beyond the snapshot is refused.
   */
  readonly checkedCalls: boolean;
}

/**
 * The contract of a durable storage adapter: the synchronous {@link LogStorage} reads the
 * Raft core needs, plus writes the driver awaits before it sends the messages that depend
 * on them. Writes may complete synchronously (return `void`) or asynchronously.
 *
 * Reads reflect every write that has completed, and nothing of a write that has not.
 * Writes are applied one at a time, in the order they were called.
 *
 * Errors: reads throw `CompactedError` (`'ERR_COMPACTED'`) and `UnavailableError`
 * (`'ERR_UNAVAILABLE'`) as {@link LogStorage} documents; `applySnapshot`, `createSnapshot`
 * and a `save` with an old snapshot fail with `SnapOutOfDateError` (`'ERR_SNAP_OUT_OF_DATE'`);
 * calls in the wrong lifecycle state fail with `NotOpenError` (`'ERR_NOT_OPEN'`);
 * bad arguments with `StorageInvalidArgumentError` (`'ERR_STORAGE_INVALID_ARGUMENT'`); and
 * `open` of damaged data with `CorruptStorageError` (`'ERR_CORRUPT'`).
 */
export interface Storage extends LogStorage {
  /** The lifecycle status. */
  readonly status: ResourceStatus;
  /** What the adapter supports beyond this contract; absent means nothing. */
  readonly capabilities?: StorageCapabilities | undefined;
  /**
   * For an adapter with a write-ahead log (`WalStorage`): the bytes written to its log files so
   * far by this object, every frame with its header and padding (read at scrape time for
   * etcd's `etcd_disk_wal_write_bytes_total`). Absent for adapters without a WAL.
   */
  readonly walBytesWritten?: number | undefined;
  /**
   * Whether synced saves flush nothing (`WalStorage`'s `noSync`, etcd's `--unsafe-no-fsync`):
   * the Replica then observes no fsync for them (`raft_storage_fsync_duration_seconds`, etcd's
   * `etcd_disk_wal_fsync_duration_seconds`), as etcd's WAL observes none in that mode.
   */
  readonly noSync?: boolean | undefined;
  /** Opens the storage and loads what the core reads into memory. Idempotent. */
  open(): void | Promise<void>;
  /** Closes the storage; later calls fail with a not-open error. Idempotent. */
  close(): void | Promise<void>;
  /** Persists one Ready atomically (snapshot, then entries, then hard state). */
  save(req: SaveRequest): void | Promise<void>;
  /**
   * Replaces the whole log with the snapshot (what `save` does with `req.snapshot`), durably.
   *
   * @throws `SnapOutOfDateError` when the snapshot is not newer than the current one.
   */
  applySnapshot(snap: Snapshot): void | Promise<void>;
  /**
   * Records a snapshot of the state machine at applied index `index` (in the log) so that
   * lagging followers can be sent it; does not compact. Without `confState`, the current
   * snapshot's configuration is kept.
   */
  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot | Promise<Snapshot>;
  /** Discards entries up to and including `index` (which a snapshot must cover). */
  compact(index: number): void | Promise<void>;
}

/**
 * Streaming access to snapshot data, for adapters whose {@link StorageCapabilities.snapshotStreams}
 * is true: a snapshot too large for one buffer can be written and read in chunks.
 */
export interface SnapshotStreams {
  /**
   * Yields the data of the current snapshot, which must be at `index`, in stored chunks.
   *
   * @throws `SnapOutOfDateError` when the current snapshot is not at `index`.
   */
  readSnapshotChunks(index: number): AsyncIterable<Uint8Array>;
  /**
   * Records a snapshot (as `createSnapshot` does) whose data arrives in chunks. `metadata.index`
   * must be in the log and newer than the current snapshot, and `metadata.term` must be that
   * entry's term. The snapshot becomes current only once every chunk is stored. Resolves to
   * the metadata stored (the data is not assembled).
   */
  writeSnapshot(
    metadata: SnapshotMetadata,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<SnapshotMetadata>;
}
