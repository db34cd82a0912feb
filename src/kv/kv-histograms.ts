import { CountHistogram } from '../replica/count-histogram.js';

/**
 * The distributions a member's KV observes as it applies commands and compacts, under etcd 3.4's
 * names (exported by `KvMetrics`): the lease TTLs granted, and how long each compaction held the
 * key index and each batch of physical compaction the database's write queue.
 */
export class KvHistograms {
  /** The TTLs granted, in seconds after the minimum is applied (`etcd_debugging_lease_ttl_total`: 1 s to 2^23 s, as etcd's). */
  readonly leaseTtls = new CountHistogram({
    name: 'etcd_debugging_lease_ttl_total',
    help: 'Bucketed histogram of lease TTLs.',
    buckets: Array.from({ length: 24 }, (_, i) => 2 ** i),
  });
  /** How long each compaction held the key index, in ms (`etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds`). */
  readonly indexCompactionPause = new CountHistogram({
    name: 'etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds',
    help: 'Bucketed histogram of index compaction pause duration.',
    buckets: Array.from({ length: 14 }, (_, i) => 0.5 * 2 ** i),
  });
  /** How long each batch of physical compaction but the last held the database's write queue, in ms (`etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds`). */
  readonly dbCompactionPause = new CountHistogram({
    name: 'etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds',
    help: 'Bucketed histogram of db compaction pause duration.',
    buckets: Array.from({ length: 13 }, (_, i) => 2 ** i),
  });
}
