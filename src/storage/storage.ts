import type { ConfState, Entry, HardState, Snapshot } from '../raft/entry.js';
import type { LogStorage } from '../raft/log-storage.js';

/** The lifecycle of a storage, transport or replica. */
export type ResourceStatus = 'opening' | 'open' | 'closing' | 'closed';

/** One Ready's worth of state to persist atomically. */
export interface SaveRequest {
  /** The new hard state, if it changed. */
  hardState?: HardState | undefined;
  /** New entries; they replace any stored entries at or after `entries[0].index`. */
  entries: Entry[];
  /** A snapshot received from the leader, to install before the entries. */
  snapshot?: Snapshot | undefined;
  /** Whether the write must be fsynced before `save` resolves (the Ready's `mustSync`). */
  sync: boolean;
}

/**
 * The contract of a durable storage adapter: the synchronous {@link LogStorage} reads the
 * Raft core needs, plus writes the driver awaits before it sends the messages that depend
 * on them. Writes may complete synchronously (return `void`) or asynchronously.
 *
 * Reads reflect every write that has completed. Only one write is in progress at a time
 * (the driver serializes them).
 */
export interface Storage extends LogStorage {
  /** The lifecycle status. */
  readonly status: ResourceStatus;
  /** Opens the storage and loads what the core reads into memory. Idempotent. */
  open(): void | Promise<void>;
  /** Closes the storage; later calls fail with a not-open error. Idempotent. */
  close(): void | Promise<void>;
  /** Persists one Ready atomically (snapshot, then entries, then hard state). */
  save(req: SaveRequest): void | Promise<void>;
  /**
   * Records a snapshot of the state machine at applied index `index` (in the log) so that
   * lagging followers can be sent it; does not compact.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot | Promise<Snapshot>;
  /** Discards entries up to and including `index` (which a snapshot must cover). */
  compact(index: number): void | Promise<void>;
}
