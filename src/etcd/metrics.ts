import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricJSON } from '../replica/metrics.js';
import type { Replica } from '../replica/replica.js';
import { GrpcMetrics, escapeLabel, type SlowUnary } from './grpc-metrics.js';
import { ETCD_API_VERSION } from './version.js';

/** One etcd metric read from a raftkit replica metric: etcd's name, type and help, the source, label renames. */
interface Alias {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  from: string;
  /** Sum every sample into one unlabelled sample (etcd's metric has no labels). */
  sum?: boolean;
  /** raftkit label name → etcd label name; `peer` values become etcd's hex member ids. */
  labels?: Record<string, string>;
  /** raftkit label value → etcd's (values not listed are kept). */
  values?: Record<string, string>;
  /** A histogram's bucket bounds below this are left out: the source's are finer than etcd's (the counts, cumulative, stay exact). */
  fromBound?: number;
}

/**
 * raftkit's reasons for a failed learner promotion → the error message etcd 3.4 labels
 * `etcd_server_learner_promote_failures{Reason}` with (its server-side errors' text).
 */
const PROMOTE_FAILURES: Record<string, string> = {
  learner_not_ready: 'etcdserver: can only promote a learner member which is in sync with leader',
  not_learner: 'membership: can only promote a learner member',
  not_enough_started: 'etcdserver: re-configuration failed due to not enough started members',
  timeout: 'etcdserver: request timed out',
  stopped: 'etcdserver: server stopped',
  dropped: 'raft proposal dropped',
};

/**
 * The etcd metrics served from the replica's own (`raft_*`) metrics, renamed to etcd's names and
 * labels so etcd's dashboards and alerting rules read them unchanged.
 */
const ALIASES: readonly Alias[] = [
  { name: 'etcd_server_has_leader', type: 'gauge', help: 'Whether or not a leader exists. 1 is existence, 0 is not.', from: 'raft_has_leader' },
  { name: 'etcd_server_is_leader', type: 'gauge', help: 'Whether or not this member is a leader. 1 if is, 0 otherwise.', from: 'raft_is_leader' },
  { name: 'etcd_server_leader_changes_seen_total', type: 'counter', help: 'The number of leader changes seen.', from: 'raft_leader_changes_seen_total' },
  { name: 'etcd_server_proposals_committed_total', type: 'gauge', help: 'The total number of consensus proposals committed.', from: 'raft_proposals_committed_total' },
  { name: 'etcd_server_proposals_applied_total', type: 'gauge', help: 'The total number of consensus proposals applied.', from: 'raft_proposals_applied_total' },
  { name: 'etcd_server_proposals_pending', type: 'gauge', help: 'The current number of pending proposals to commit.', from: 'raft_proposals_pending' },
  { name: 'etcd_server_proposals_failed_total', type: 'counter', help: 'The total number of failed proposals seen.', from: 'raft_proposals_failed_total', sum: true },
  { name: 'etcd_disk_wal_fsync_duration_seconds', type: 'histogram', help: 'The latency distributions of fsync called by WAL (raftkit: one durable Ready write).', from: 'raft_storage_fsync_duration_seconds', fromBound: 0.001 },
  // etcd 3.4's names for its snapshot metrics (etcd_debugging_snap_*: etcd saves its Raft snapshot there;
  // raftkit times a local snapshot from its capture to its being current, and its capture and encoding).
  { name: 'etcd_debugging_snap_save_total_duration_seconds', type: 'histogram', help: 'The total latency distributions of save called by snapshot.', from: 'raft_snapshot_save_duration_seconds' },
  { name: 'etcd_debugging_snap_save_marshalling_duration_seconds', type: 'histogram', help: 'The marshalling cost distributions of save called by snapshot.', from: 'raft_snapshot_marshalling_duration_seconds' },
  { name: 'etcd_server_snapshot_apply_in_progress_total', type: 'gauge', help: '1 if the server is applying the incoming snapshot. 0 if none.', from: 'raft_snapshot_restore_in_progress' },
  { name: 'etcd_network_peer_round_trip_time_seconds', type: 'histogram', help: 'Round-Trip-Time histogram between peers', from: 'raft_peer_round_trip_time_seconds', labels: { peer: 'To' } },
  { name: 'etcd_network_peer_sent_bytes_total', type: 'counter', help: 'The total number of bytes sent to peers.', from: 'raft_transport_bytes_sent_total', labels: { peer: 'To' } },
  { name: 'etcd_network_peer_received_bytes_total', type: 'counter', help: 'The total number of bytes received from peers.', from: 'raft_transport_bytes_received_total', labels: { peer: 'From' } },
  { name: 'etcd_network_peer_sent_failures_total', type: 'counter', help: 'The total number of send failures from peers.', from: 'raft_transport_send_failures_total', labels: { peer: 'To' } },
  { name: 'etcd_server_heartbeat_send_failures_total', type: 'counter', help: 'The total number of leader heartbeat send failures (likely overloaded from slow disk).', from: 'raft_heartbeat_send_failures_total' },
  { name: 'etcd_server_slow_apply_total', type: 'counter', help: 'The total number of slow apply requests (likely overloaded from slow disk).', from: 'raft_slow_applies_total' },
  { name: 'etcd_server_read_indexes_failed_total', type: 'counter', help: 'The total number of failed read indexes seen.', from: 'raft_read_indexes_failed_total' },
  { name: 'etcd_server_slow_read_indexes_total', type: 'counter', help: 'The total number of pending read indexes not in sync with leader\'s or timed out read index requests.', from: 'raft_read_indexes_slow_total' },
  { name: 'etcd_server_learner_promote_successes', type: 'counter', help: 'The total number of successful learner promotions while this member is leader.', from: 'raft_learner_promote_successes_total' },
  {
    name: 'etcd_server_learner_promote_failures', type: 'counter', help: 'The total number of failed learner promotions (likely learner not ready) while this member is leader.',
    from: 'raft_learner_promote_failures_total', labels: { reason: 'Reason' }, values: PROMOTE_FAILURES,
  },
  // A gauge in etcd 3.4 (a counter from 3.5 on); 0 for a storage without a WAL.
  { name: 'etcd_disk_wal_write_bytes_total', type: 'gauge', help: 'Total number of bytes written in WAL.', from: 'raft_storage_wal_write_bytes_total' },
];

/**
 * A number as Go writes it with `strconv.FormatFloat(x, 'g', -1, 64)`, which client_golang uses
 * for bucket bounds: the shortest digits, in exponent form (`1.048576e+06`, `1e-05`) when the
 * decimal exponent is below -4 or at least 6. Exported for its test.
 *
 * @internal
 */
export function goFloat(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  const [digits, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp >= -4 && exp < 6) return String(x);
  return `${digits}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/**
 * Every `le` bound of a Prometheus page written as client_golang writes it ({@link goFloat}), so
 * that a query naming one of etcd's bounds finds raftkit's series. Exported for its test.
 *
 * @internal
 */
export function goBounds(page: string): string {
  return page.replace(/([{,])le="([^"]+)"/g, (whole, before: string, v: string) => (Number.isFinite(Number(v)) ? `${before}le="${goFloat(Number(v))}"` : whole));
}

function sample(name: string, labels: Record<string, string | number>, value: number): string {
  const ls = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return `${name}${ls.length === 0 ? '' : `{${ls.join(',')}}`} ${Number.isFinite(value) ? value : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN'}`;
}

/** The Prometheus text of one alias, or '' when the replica does not export its source. */
function aliasText(a: Alias, src: MetricJSON | undefined): string {
  const lines = [`# HELP ${a.name} ${a.help}`, `# TYPE ${a.name} ${a.type}`];
  if (src === undefined) {
    if (a.type === 'histogram') return '';
    return [...lines, sample(a.name, {}, 0)].join('\n');
  }
  if (a.sum === true) return [...lines, sample(a.name, {}, src.values.reduce((n, v) => n + v.value, 0))].join('\n');
  for (const v of src.values) {
    if (a.fromBound !== undefined && Number(v.labels['le']) < a.fromBound) continue; // '+Inf' and no `le` are NaN: kept
    const labels: Record<string, string | number> = {};
    for (const [k, val] of Object.entries(v.labels)) {
      const to = a.labels?.[k] ?? k;
      labels[to] = k === 'peer' ? Number(val).toString(16) : a.values?.[String(val)] ?? val;
    }
    const suffix = v.metricName === undefined ? '' : v.metricName.slice(a.from.length);
    lines.push(sample(a.name + suffix, labels, v.value));
  }
  return lines.join('\n');
}

/**
 * The metrics `raftkit/etcd` serves on `/metrics`: etcd's names (from the replica's metrics,
 * renamed; raftkit/kv registers its own etcd-named metrics, such as
 * `etcd_disk_backend_commit_duration_seconds`, on the replica's registry), the gRPC statistics under go-grpc-prometheus's names, and the
 * replica's own `raft_*` metrics.
 */
export class EtcdMetrics {
  /** The registry of the server's own metrics (TLS refusals, quota, ids); the gRPC statistics are in {@link EtcdMetrics.grpc}. */
  readonly registry = new Registry();
  /** `etcd_server_health_success`: `/health` answers that were healthy. */
  readonly healthSuccess: Counter;
  /** `etcd_server_health_failures`: `/health` answers that were not. */
  readonly healthFailures: Counter;
  /** The gRPC statistics. */
  readonly grpc: GrpcMetrics;
  private readonly replica: Replica;
  readonly #scrapes: Counter;
  readonly #scrapesInFlight: Gauge;

  /**
   * @param replica - the replica whose metrics are renamed.
   * @param quotaBackendBytes - the store quota, for `etcd_server_quota_backend_bytes`.
   * @param handlingTimeHistogram - export `grpc_server_handling_seconds` (etcd's `--metrics extensive`).
   * @param slowUnary - who hears of slow unary calls.
   */
  constructor(replica: Replica, quotaBackendBytes: number, handlingTimeHistogram = true, slowUnary?: SlowUnary) {
    this.replica = replica;
    this.grpc = new GrpcMetrics(handlingTimeHistogram, slowUnary);
    const registers = [this.registry];
    new Gauge({ name: 'etcd_server_quota_backend_bytes', help: 'Current backend storage quota size in bytes.', registers }).set(quotaBackendBytes);
    new Gauge({ name: 'etcd_server_version', help: 'Which version is running. 1 for \'server_version\' label with current version.', labelNames: ['server_version'], registers }).set({ server_version: ETCD_API_VERSION }, 1);
    new Gauge({ name: 'etcd_server_id', help: 'Server or member ID in hexadecimal format. 1 for \'server_id\' label with current ID.', labelNames: ['server_id'], registers }).set({ server_id: replica.id.toString(16) }, 1);
    new Gauge({ name: 'etcd_cluster_version', help: 'Which version is running. 1 for \'cluster_version\' label with current cluster version', labelNames: ['cluster_version'], registers })
      .set({ cluster_version: ETCD_API_VERSION.split('.').slice(0, 2).join('.') }, 1);
    this.healthSuccess = new Counter({ name: 'etcd_server_health_success', help: 'The total number of successful health checks', registers });
    this.healthFailures = new Counter({ name: 'etcd_server_health_failures', help: 'The total number of failed health checks', registers });
    this.#scrapes = new Counter({ name: 'promhttp_metric_handler_requests_total', help: 'Total number of scrapes by HTTP status code.', labelNames: ['code'], registers });
    for (const code of ['200', '500', '503']) this.#scrapes.inc({ code }, 0);
    this.#scrapesInFlight = new Gauge({ name: 'promhttp_metric_handler_requests_in_flight', help: 'Current number of scrapes being served.', registers });
    new Gauge({ name: 'etcd_server_is_learner', help: 'Whether or not this member is a learner. 1 if is, 0 otherwise.', registers, collect() {
      this.set(replica.status().config.learners.includes(replica.id) ? 1 : 0);
    } });
  }

  /**
   * {@link EtcdMetrics.text} for a `/metrics` request, counted as Prometheus' Go handler counts its
   * scrapes (`promhttp_metric_handler_requests_in_flight` includes this one; the request is
   * counted in `promhttp_metric_handler_requests_total` by its status code once answered: 200, or
   * 503 when the metrics could not be read).
   */
  async scrape(): Promise<string> {
    this.#scrapesInFlight.inc();
    try {
      const t = await this.text();
      this.#scrapes.inc({ code: '200' });
      return t;
    } catch (e) {
      this.#scrapes.inc({ code: '503' });
      throw e;
    } finally {
      this.#scrapesInFlight.dec();
    }
  }

  /** Every metric in the Prometheus text exposition format. */
  async text(): Promise<string> {
    const src = await this.replica.metricsJSON();
    const etcd = ALIASES.map((a) => aliasText(a, src[a.from])).filter((t) => t !== '');
    return goBounds(`${etcd.join('\n')}\n${this.grpc.text()}${await this.registry.metrics()}\n${await this.replica.metrics()}`);
  }
}
