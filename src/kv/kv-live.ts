import type { KvClient } from './kv-client.js';
import type { KvStateMachine } from './kv-state-machine.js';
import { AlarmsClient } from './alarms/alarms-client.js';
import { ClusterClient } from './cluster/cluster-client.js';
import { KvMetrics } from './kv-metrics.js';
import { Lessor, type LessorOptions } from './lease/lessor.js';
import { MaintenanceClient } from './maintenance/maintenance-client.js';
import { kvWatchSource } from './watch/kv-watch-source.js';
import { WatchHub, type WatchHubOptions } from './watch/watch-hub.js';

/** Options of the live parts of a {@link KvClient}: watch, leases, quota. */
export interface KvLiveOptions {
  /** Watch limits and timers. */
  watch?: WatchHubOptions | undefined;
  /** Lease liveness timers (used by the first client of a state machine). */
  lease?: LessorOptions | undefined;
  /** The backend quota in bytes (etcd's `--quota-backend-bytes`). Default (or 0) 2 GiB; negative: no quota, as etcd's. */
  quotaBackendBytes?: number | undefined;
}

/** What a state machine's clients share: one lessor (one expiry loop) and one set of metrics. */
interface Shared {
  lessor: Lessor;
  metrics: KvMetrics;
}

const shared = new WeakMap<KvStateMachine, Shared>();

/** The parts of a {@link KvClient} beyond requests: watchers, lease liveness, maintenance, alarms, cluster, metrics. */
export interface KvLiveParts {
  /** This client's watchers. */
  watches: WatchHub;
  /** The member's lease liveness. */
  lessor: Lessor;
  /** The member's KV metrics. */
  metrics: KvMetrics;
  /** Alarms and quota. */
  alarms: AlarmsClient;
  /** Status, hashes, defragmentation. */
  maintenance: MaintenanceClient;
  /** Membership. */
  cluster: ClusterClient;
}

/** Builds the live parts of `kv` (sharing the lessor and metrics with the state machine's other clients). */
export function createLiveParts(kv: KvClient, options: KvLiveOptions): KvLiveParts {
  const sm = kv.stateMachine;
  let s = shared.get(sm);
  if (s === undefined || s.lessor.closed) {
    s = { lessor: new Lessor(kv.replica, sm, (id) => kv.lease.revoke(id), options.lease), metrics: s?.metrics ?? new KvMetrics(sm) };
    shared.set(sm, s);
  }
  s.metrics.register(kv.replica.metricsRegistry);
  const watches = new WatchHub(kvWatchSource(sm, (rev) => kv.header(rev)), options.watch);
  s.metrics.watchHubs.add(watches);
  return {
    watches,
    lessor: s.lessor,
    metrics: s.metrics,
    alarms: new AlarmsClient(kv, options.quotaBackendBytes),
    maintenance: new MaintenanceClient(kv),
    cluster: new ClusterClient(kv),
  };
}
