/**
 * The options of a `KvStateMachine`, in their own module (the state machine's file is full).
 * @module
 */
import type { AnyLevel } from '../storage/level-load.js';

/** Options of a {@link KvStateMachine}. */
export interface KvStateMachineOptions {
  /**
   * The database the KV writes under (in the sublevel `name`): the Replica's own (pass
   * `storage: levelStorage`, the default when given) or any abstract-level database. Without
   * either, an in-memory `memory-level` database (state lost on restart; for tests).
   */
  db?: AnyLevel | undefined;
  /** A storage exposing its database (a `LevelStorage`); its `db` is used when `db` is not given. */
  storage?:
    | {
        /** The storage's database (undefined until it is open). */
        readonly db: AnyLevel | undefined;
      }
    | undefined;
  /** The sublevel name. Default `'kv'`. */
  name?: string | undefined;
  /**
   * The smallest lease TTL in seconds (shorter grants are raised to it). Default: 1.5 election
   * timeouts rounded up, from `electionMs` (etcd's `minTTL`).
   */
  minLeaseTtl?: number | undefined;
  /** The replica's election timeout in milliseconds, for the default `minLeaseTtl`. Default 1000 (etcd's). */
  electionMs?: number | undefined;
  /**
   * How long, in milliseconds, a synced write of the KV's database waits after the first apply
   * batch queued for it, to carry more (etcd's `--backend-batch-interval`). Nothing waits for it
   * (applies, reads, snapshots, compactions), and a crash leaves an exact prefix of the applied
   * batches (the Replica applies the rest again from its log). Default 0: no wait.
   */
  backendBatchIntervalMs?: number | undefined;
  /** The operations (records put or deleted) one write carries, give or take its last apply batch (etcd's `--backend-batch-limit`): a write starts once the queued batches reach it. Default: no limit. */
  backendBatchLimit?: number | undefined;
  /**
   * The memory, in bytes, kept for the values of recently written and read revisions, so that
   * reads of hot keys need no database read (etcd reads the same from bbolt's memory-mapped
   * pages). Default 64 MiB; 0 reads every value from the database.
   */
  valueCacheBytes?: number | undefined;
  /**
   * Snapshot by reference (as etcd's): the Replica's periodic snapshot holds no KV, only the applied
   * index {@link KvStateMachine.persist} made durable; the KV is read when a member needs a snapshot.
   * Needs a durable `db`. Default false: every snapshot copies the whole KV.
   */
  snapshotByReference?: boolean | undefined;
  /**
   * The most revisions a compaction deletes from the database in one write (etcd's
   * `--experimental-compaction-batch-limit`); applies wait between the writes, not during the
   * whole compaction. Default 1000, as etcd's.
   */
  compactionBatchLimit?: number | undefined;
  /** The pause between two of a compaction's writes, in ms (etcd's `--compaction-sleep-interval`). Default 10, as etcd's. */
  compactionSleepIntervalMs?: number | undefined;
  /**
   * Write the KV's database without fsync (etcd's `--unsafe-no-fsync`): each batch still goes
   * to the database atomically and in order, but resolves once the database has it, not once
   * it is on the disk. A crash of the machine (not only of the process) can then lose writes
   * that the applied index counts as done, and a restart does not apply them again: unsafe,
   * for tests and throw-away clusters only. Default false.
   */
  noSync?: boolean | undefined;
}
