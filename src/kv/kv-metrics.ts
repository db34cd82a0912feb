import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';
import type { KvStateMachine } from './kv-state-machine.js';
import { reportedDbSize } from './maintenance/maintenance-client.js';
import type { WatchHub } from './watch/watch-hub.js';
import { keyRange } from './mvcc/bytes.js';

const ALL_KEYS = keyRange(new Uint8Array([0]), new Uint8Array([0]));

/**
 * The KV's metrics on a member's registry (etcd's names where etcd has the metric): database
 * size, keys, requests by kind, watchers and slow watchers, leases, compaction and
 * defragmentation durations. One set per state machine, shared by its clients.
 */
export class KvMetrics {
  /** `etcd_mvcc_put_total`. */
  readonly puts = new Counter({ name: 'etcd_mvcc_put_total', help: 'Total number of puts seen by this member.', registers: [] });
  /** `etcd_mvcc_range_total`. */
  readonly ranges = new Counter({ name: 'etcd_mvcc_range_total', help: 'Total number of ranges seen by this member.', registers: [] });
  /** `etcd_mvcc_delete_total`. */
  readonly deletes = new Counter({ name: 'etcd_mvcc_delete_total', help: 'Total number of deleteRanges seen by this member.', registers: [] });
  /** `etcd_mvcc_txn_total`. */
  readonly txns = new Counter({ name: 'etcd_mvcc_txn_total', help: 'Total number of txns seen by this member.', registers: [] });
  /** `etcd_debugging_mvcc_db_compaction_total_duration_milliseconds`. */
  readonly compactionDuration = new Histogram({
    name: 'etcd_debugging_mvcc_db_compaction_total_duration_milliseconds',
    help: 'Bucketed histogram of db compaction total duration.',
    buckets: exponentialBuckets(100, 2, 14),
    registers: [],
  });
  /** `etcd_disk_backend_defrag_duration_seconds`. */
  readonly defragDuration = new Histogram({
    name: 'etcd_disk_backend_defrag_duration_seconds',
    help: 'The latency distribution of backend defragmentation.',
    buckets: exponentialBuckets(0.1, 2, 13),
    registers: [],
  });
  readonly #gauges: Gauge[];
  /** `raftkit_kv_unknown_commands_total`, read from the state machine's count when scraped. */
  readonly #unknownCommands: Counter;

  /** @param sm - the member's state machine. */
  constructor(sm: KvStateMachine) {
    const hubs = this.watchHubs;
    this.#unknownCommands = new Counter({ name: 'raftkit_kv_unknown_commands_total', help: 'Committed KV commands of a kind a newer raftkit added, applied as no-ops.', registers: [], collect() {
      this.reset();
      this.inc(sm.unknownCommandsApplied);
    } });
    this.#gauges = [
      new Gauge({ name: 'etcd_mvcc_db_total_size_in_bytes', help: 'Total size of the underlying database in bytes.', registers: [], async collect() {
        this.set(await reportedDbSize(sm));
      } }),
      // etcd 3.4's older name of the same gauge, which its published Grafana dashboard reads.
      new Gauge({ name: 'etcd_debugging_mvcc_db_total_size_in_bytes', help: 'Total size of the underlying database physically allocated in bytes.', registers: [], async collect() {
        this.set(await reportedDbSize(sm));
      } }),
      new Gauge({ name: 'etcd_debugging_mvcc_current_revision', help: 'The current revision of store.', registers: [], collect() {
        this.set(sm.store.visibleRev);
      } }),
      new Gauge({ name: 'etcd_debugging_mvcc_compact_revision', help: 'The revision of the last compaction in store.', registers: [], collect() {
        this.set(Math.max(0, sm.store.compactRev));
      } }),
      new Gauge({ name: 'etcd_mvcc_db_total_size_in_use_in_bytes', help: 'Total size of the underlying database logically in use in bytes.', registers: [], collect() {
        this.set(sm.dbSizeInUse);
      } }),
      new Gauge({ name: 'etcd_debugging_mvcc_keys_total', help: 'Total number of keys.', registers: [], collect() {
        this.set(sm.store.index.count(ALL_KEYS, sm.store.visibleRev));
      } }),
      new Gauge({ name: 'etcd_debugging_mvcc_watcher_total', help: 'Total number of watchers.', registers: [], collect() {
        this.set([...hubs].reduce((n, h) => n + h.watchers, 0));
      } }),
      new Gauge({ name: 'etcd_debugging_mvcc_slow_watcher_total', help: 'Total number of unsynced slow watchers.', registers: [], collect() {
        this.set([...hubs].reduce((n, h) => n + h.slowWatchers, 0));
      } }),
      new Gauge({ name: 'raftkit_kv_leases', help: 'Number of leases.', registers: [], collect() {
        this.set(sm.store.leases.size);
      } }),
    ];
  }

  /** The watch hubs counted (one per client of the state machine). */
  readonly watchHubs = new Set<WatchHub>();

  /** Registers every metric on `registry` (idempotent per name). */
  register(registry: Registry): void {
    for (const m of [this.puts, this.ranges, this.deletes, this.txns, this.compactionDuration, this.defragDuration, this.#unknownCommands, ...this.#gauges]) {
      const name = (m as unknown as { name: string }).name;
      if (registry.getSingleMetric(name) === undefined) registry.registerMetric(m);
    }
  }
}
