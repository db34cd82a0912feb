import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';
import { counterFrom } from '../replica/metrics.js';
import type { KvStateMachine } from './kv-state-machine.js';
import { reportedDbSize } from './maintenance/maintenance-client.js';
import type { WatchHub } from './watch/watch-hub.js';
import { keyRange } from './mvcc/bytes.js';

const ALL_KEYS = keyRange(new Uint8Array([0]), new Uint8Array([0]));

/** A histogram, registered where {@link KvMetrics.register} puts it. */
function histogram(name: string, help: string, buckets: number[]): Histogram {
  return new Histogram({ name, help, buckets, registers: [] });
}

/** A counter whose value is read from the member's state when scraped, registered by {@link KvMetrics.register}. */
function countedFrom(name: string, help: string, read: () => number): Counter {
  return counterFrom(name, help, read, []);
}

/** A gauge whose value is read from the member's state when scraped. */
function gaugeFrom(name: string, help: string, read: () => number | Promise<number>): Gauge {
  return new Gauge({ name, help, registers: [], async collect() {
    this.set(await read());
  } });
}

/**
 * The KV's metrics on a member's registry (etcd's names where etcd has the metric): database
 * size, keys, store operations, watchers, watch streams and events, leases, compaction,
 * hashing and defragmentation. One set per state machine, shared by its clients. etcd 3.4
 * exports some under two names (`etcd_mvcc_put_total` and the older
 * `etcd_debugging_mvcc_put_total`); both are served, with the same value.
 */
export class KvMetrics {
  /** `etcd_debugging_mvcc_db_compaction_total_duration_milliseconds`. */
  readonly compactionDuration = histogram('etcd_debugging_mvcc_db_compaction_total_duration_milliseconds', 'Bucketed histogram of db compaction total duration.', exponentialBuckets(100, 2, 14));
  /** `etcd_disk_backend_defrag_duration_seconds`. */
  readonly defragDuration = histogram('etcd_disk_backend_defrag_duration_seconds', 'The latency distribution of backend defragmentation.', exponentialBuckets(0.1, 2, 13));
  /** `etcd_mvcc_hash_duration_seconds`: etcd's `Hash` (of the whole database). */
  readonly hashDuration = histogram('etcd_mvcc_hash_duration_seconds', 'The latency distribution of storage hash operation.', exponentialBuckets(0.01, 2, 15));
  /** `etcd_mvcc_hash_rev_duration_seconds`: etcd's `HashKV` (of the history up to a revision). */
  readonly hashRevDuration = histogram('etcd_mvcc_hash_rev_duration_seconds', 'The latency distribution of storage hash by revision operation.', exponentialBuckets(0.01, 2, 15));
  /** `etcd_disk_backend_snapshot_duration_seconds`: how long each Snapshot stream held its snapshot of the database. */
  readonly backendSnapshotDuration = histogram('etcd_disk_backend_snapshot_duration_seconds', 'The latency distribution of backend snapshots.', exponentialBuckets(0.01, 2, 17));
  /** Defragmentations in progress (`etcd_disk_defrag_inflight` is 1 while there is one). */
  defragmenting = 0;
  /** Open watch streams of raftkit/etcd's Watch service (`etcd_debugging_mvcc_watch_stream_total`). */
  watchStreams = 0;
  /** The watch hubs counted (one per client of the state machine). */
  readonly watchHubs = new Set<WatchHub>();
  readonly #metrics: { name: string }[];

  /** @param sm - the member's state machine. */
  constructor(sm: KvStateMachine) {
    const hubs = this.watchHubs;
    const ops = sm.store.ops;
    const sumHubs = (f: (h: WatchHub) => number) => (): number => [...hubs].reduce((n, h) => n + f(h), 0);
    const mvccCounts: [string, string, () => number][] = [
      ['put', 'Total number of puts seen by this member.', () => ops.puts],
      ['range', 'Total number of ranges seen by this member.', () => ops.ranges],
      ['delete', 'Total number of deletes seen by this member.', () => ops.deletes],
      ['txn', 'Total number of txns seen by this member.', () => ops.txns],
    ];
    this.#metrics = [
      ...mvccCounts.flatMap(([op, help, read]) => [countedFrom(`etcd_mvcc_${op}_total`, help, read), countedFrom(`etcd_debugging_mvcc_${op}_total`, help, read)]),
      gaugeFrom('etcd_debugging_mvcc_total_put_size_in_bytes', 'The total size of put kv pairs seen by this member.', () => ops.putBytes),
      countedFrom('etcd_debugging_lease_granted_total', 'The total number of granted leases.', () => ops.leaseGrants),
      countedFrom('etcd_debugging_lease_revoked_total', 'The total number of revoked leases.', () => ops.leaseRevokes),
      countedFrom('etcd_debugging_lease_renewed_total', 'The number of renewed leases seen by the leader.', () => ops.leaseRenewals),
      countedFrom('etcd_debugging_server_lease_expired_total', 'The total number of expired leases.', () => ops.leaseExpiries),
      sm.histograms.leaseTtls,
      countedFrom('etcd_debugging_mvcc_db_compaction_keys_total', 'Total number of db keys compacted.', () => ops.compactedKeys),
      sm.histograms.indexCompactionPause,
      sm.histograms.dbCompactionPause,
      this.compactionDuration,
      this.defragDuration,
      this.hashDuration,
      this.hashRevDuration,
      this.backendSnapshotDuration,
      gaugeFrom('etcd_disk_defrag_inflight', 'Whether or not defrag is active on the member. 1 means active, 0 means not.', () => (this.defragmenting > 0 ? 1 : 0)),
      gaugeFrom('etcd_mvcc_db_open_read_transactions', 'The number of currently open read transactions', () => sm.store.openReads),
      countedFrom('raftkit_kv_unknown_commands_total', 'Committed KV commands of a kind a newer raftkit added, applied as no-ops.', () => sm.unknownCommandsApplied),
      gaugeFrom('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database in bytes.', () => reportedDbSize(sm)),
      // etcd 3.4's older name of the same gauge, which its published Grafana dashboard reads.
      gaugeFrom('etcd_debugging_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', () => reportedDbSize(sm)),
      gaugeFrom('etcd_debugging_mvcc_current_revision', 'The current revision of store.', () => sm.store.visibleRev),
      gaugeFrom('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.', () => Math.max(0, sm.store.compactRev)),
      gaugeFrom('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.', () => sm.dbSizeInUse),
      gaugeFrom('etcd_debugging_mvcc_keys_total', 'Total number of keys.', () => sm.store.index.count(ALL_KEYS, sm.store.visibleRev)),
      gaugeFrom('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', sumHubs((h) => h.watchers)),
      gaugeFrom('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.', sumHubs((h) => h.slowWatchers)),
      gaugeFrom('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', () => this.watchStreams),
      countedFrom('etcd_debugging_mvcc_events_total', 'Total number of events sent by this member.', sumHubs((h) => h.eventsTaken)),
      gaugeFrom('etcd_debugging_mvcc_pending_events_total', 'Total number of pending events to be sent.', sumHubs((h) => h.pendingEvents)),
      gaugeFrom('raftkit_kv_leases', 'Number of leases.', () => sm.store.leases.size),
    ] as unknown as { name: string }[];
  }

  /** Registers every metric on `registry` (idempotent per name). */
  register(registry: Registry): void {
    for (const m of this.#metrics) {
      if (registry.getSingleMetric(m.name) === undefined) registry.registerMetric(m as unknown as Counter);
    }
  }
}
