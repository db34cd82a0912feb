import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';
import type { PeerStats } from '../transport/transport.js';
import { CountHistogram } from './count-histogram.js';
import { SLOW_APPLY_MS } from './options.js';
import { LearnerNotReadyError, NotLeaderError } from './errors.js';
import { failureReason, type FailureReason } from './proposals.js';

/**
 * A counter whose value is read from a running total when scraped (the total is kept in plain
 * numbers where it grows, without prom-client's per-increment cost), registered on `registers`.
 */
export function counterFrom(name: string, help: string, read: () => number, registers: Registry[]): Counter {
  return new Counter({
    name, help, registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** The live values the metrics read when scraped. */
export interface MetricsSource {
  /** The known leader's id, or 0. */
  leader(): number;
  /** This member's id. */
  id: number;
  /** Requests waiting for their entry to apply. */
  pending(): number;
  /** Whether a snapshot from the leader is being restored. */
  restoringSnapshot(): boolean;
  /** Whether a local snapshot is being taken (captured, not yet current in the storage). */
  savingSnapshot(): boolean;
  /** The transport's per-peer counters. */
  transportStats(): Map<number, PeerStats>;
  /** The replica's latest heartbeat round-trip time to `peer` in milliseconds, if measured. */
  rttMs(peer: number): number | undefined;
  /** An apply or reported read longer than this, in ms, is slow (see `ReplicaOptions.warningApplyMs`); default 100. */
  warningApplyMs?: number | undefined;
  /** The bytes the storage has written to its write-ahead log; absent for a storage without one (then no WAL metric is registered). */
  walBytes?: (() => number) | undefined;
}


/** Why a learner promotion failed, as counted by `raft_learner_promote_failures_total{reason}` (see {@link promoteFailureReason}). */
export type PromoteFailureReason = 'not_learner' | 'learner_not_ready' | 'not_enough_started' | FailureReason;

/** One metric in {@link Replica.metricsJSON}'s result. */
export interface MetricJSON {
  /** The metric's help text. */
  help: string;
  /** `'counter'`, `'gauge'` or `'histogram'`. */
  type: string;
  /** Every sample: its labels (histograms add `le` and a `metricName` suffix) and value. */
  values: {
    /** The sample's labels. */
    labels: Record<string, string | number>;
    /** The sample's value. */
    value: number;
    /** For histograms: the sample's series name (`_bucket`, `_sum`, `_count`). */
    metricName?: string;
  }[];
}

const sec = (start: number, factor: number, count: number): number[] => exponentialBuckets(start, factor, count);

/**
 * The Ready write histogram's bounds: etcd's WAL fsync buckets (1 ms to 8.192 s, doubling), which
 * `etcd_disk_wal_fsync_duration_seconds` exports as etcd does, below them 0.1 to 0.8 ms, which only
 * `raft_storage_fsync_duration_seconds` shows (a fast disk syncs in well under etcd's first bound).
 */
const FSYNC_BUCKETS: readonly number[] = [...sec(0.0001, 2, 4), ...sec(0.001, 2, 14)];

/**
 * A replica's Prometheus metrics, in a registry of its own (never prom-client's global one),
 * with etcd's names where etcd has one. Counters and histograms are updated on the hot path;
 * gauges and transport counters are read from a {@link MetricsSource} at scrape time.
 */
export class ReplicaMetrics {
  /** The replica's own registry. */
  readonly registry = new Registry();
  /** `raft_leader_changes_seen_total`. */
  readonly leaderChanges: Counter;
  /** `raft_proposals_committed_total` (reads {@link ReplicaMetrics.committedTotal} when scraped). */
  readonly committed: Counter;
  /** `raft_proposals_applied_total` (reads {@link ReplicaMetrics.appliedTotal} when scraped). */
  readonly applied: Counter;
  /** Entries known committed so far: a plain number on the hot path, the counter's value at scrape time. */
  committedTotal = 0;
  /** Entries applied so far (as {@link ReplicaMetrics.committedTotal}). */
  appliedTotal = 0;
  /** `raft_proposals_failed_total{reason}`. */
  readonly failed: Counter<'reason'>;
  /** `raft_proposals_duplicate_total`. */
  readonly duplicates: Counter;
  /** Leadership requests sent to bring back a voter that could not follow the leader (see `lagging-voter.ts`). */
  readonly laggingVoterRescues: Counter;
  /** Peer messages the node refused, by error code. */
  readonly refused: Counter<'code'>;
  /** `raft_storage_fsync_duration_seconds` (observed per synced write: a {@link CountHistogram}). */
  readonly fsync: CountHistogram;
  /** `raft_apply_duration_seconds` (observed per applied batch: a {@link CountHistogram}). */
  readonly apply: CountHistogram;
  /** `raft_snapshot_save_total` and `raft_snapshot_restore_total` (by kind). */
  readonly snapshots: Counter<'kind'>;
  /** `raft_snapshot_duration_seconds{kind}`. */
  readonly snapshotDuration: Histogram<'kind'>;
  /** `raft_snapshot_last_index`. */
  readonly snapshotIndex: Gauge;
  /** `raft_snapshot_save_duration_seconds`: from deciding to take a local snapshot to its being current (etcd's snapshot save). */
  readonly snapshotSave: Histogram;
  /** `raft_snapshot_marshalling_duration_seconds`: the part of a local snapshot spent capturing and encoding it. */
  readonly snapshotMarshalling: Histogram;
  /** `raft_log_compactions_total`: log compactions after a local snapshot. */
  readonly logCompactions: Counter;
  /** `raft_peer_round_trip_time_seconds{peer}`: heartbeat round trips measured by the leader (see `PeerRtt`). */
  readonly peerRtt: Histogram<'peer'>;
  /** `raft_heartbeat_send_failures_total`: heartbeats sent late to a peer (see `HeartbeatDetector`). */
  readonly heartbeatFailures: Counter;
  /** `raft_slow_applies_total`: state machine applies, and reported local reads, slower than `warningApplyMs`. */
  readonly slowApplies: Counter;
  /** `raft_read_indexes_failed_total`: ReadIndex rounds that failed (see `Reads`). */
  readonly readIndexFailed: Counter;
  /** `raft_read_indexes_slow_total`: ReadIndex rounds that timed out, and answers that came for reads no longer waiting. */
  readonly readIndexSlow: Counter;
  /** `raft_learner_promote_successes_total`: learners this member promoted as leader. */
  readonly promoteSuccesses: Counter;
  /** `raft_learner_promote_failures_total{reason}`: promotions that failed on this member as leader. */
  readonly promoteFailures: Counter<'reason'>;
  private readonly warningApplyMs: number;

  /** @param src - where scrape-time values come from. */
  constructor(src: MetricsSource) {
    const registers = [this.registry];
    this.warningApplyMs = src.warningApplyMs ?? SLOW_APPLY_MS;
    new Gauge({ name: 'raft_has_leader', help: 'Whether a leader is known (1) or not (0).', registers, collect() { this.set(src.leader() === 0 ? 0 : 1); } });
    new Gauge({ name: 'raft_is_leader', help: 'Whether this member is the leader (1) or not (0).', registers, collect() { this.set(src.leader() === src.id ? 1 : 0); } });
    new Gauge({ name: 'raft_proposals_pending', help: 'Requests waiting for their entry to apply.', registers, collect() { this.set(src.pending()); } });
    this.leaderChanges = new Counter({ name: 'raft_leader_changes_seen_total', help: 'Leader changes seen by this member.', registers });
    const totals = (name: string, help: string, read: () => number): Counter => counterFrom(name, help, read, registers);
    this.committed = totals('raft_proposals_committed_total', 'Entries known to be committed (counted up to the commit index).', () => this.committedTotal);
    this.applied = totals('raft_proposals_applied_total', 'Entries applied (counted up to the applied index).', () => this.appliedTotal);
    this.failed = new Counter({ name: 'raft_proposals_failed_total', help: 'Failed requests, by reason.', labelNames: ['reason'], registers });
    this.refused = new Counter({ name: 'raft_messages_refused_total', help: 'Peer messages the Raft node refused, by error code.', labelNames: ['code'], registers });
    this.duplicates = new Counter({ name: 'raft_proposals_duplicate_total', help: 'Committed commands dropped as duplicates of an applied one (client sessions).', registers });
    this.laggingVoterRescues = new Counter({ name: 'raft_lagging_voter_rescues_total', help: 'Leadership requests this member sent to the leader to bring back a voter that could not follow it.', registers });
    this.fsync = new CountHistogram({ name: 'raft_storage_fsync_duration_seconds', help: 'Duration of one Ready write (storage.save).', buckets: FSYNC_BUCKETS, registers });
    this.apply = new CountHistogram({ name: 'raft_apply_duration_seconds', help: 'Duration of applying one batch of committed entries.', buckets: sec(0.0001, 2, 18), registers });
    this.snapshots = new Counter({ name: 'raft_snapshot_total', help: 'Snapshots created locally or restored from the leader, by kind.', labelNames: ['kind'], registers });
    this.snapshotDuration = new Histogram({ name: 'raft_snapshot_duration_seconds', help: 'Duration of creating or restoring a snapshot, by kind.', labelNames: ['kind'], buckets: sec(0.001, 2, 14), registers });
    this.snapshotIndex = new Gauge({ name: 'raft_snapshot_last_index', help: 'The index of the latest snapshot.', registers });
    // etcd's buckets for its snapshot save histograms: 1 ms to 8.192 s.
    this.snapshotSave = new Histogram({ name: 'raft_snapshot_save_duration_seconds', help: 'Duration of taking a local snapshot, from its capture to its being current in the storage.', buckets: sec(0.001, 2, 14), registers });
    this.snapshotMarshalling = new Histogram({
      name: 'raft_snapshot_marshalling_duration_seconds', help: 'Time a local snapshot spent capturing the state and producing its bytes (without the waits between chunks and the storage writes).', buckets: sec(0.001, 2, 14), registers,
    });
    new Gauge({ name: 'raft_snapshot_save_in_progress', help: 'Whether a local snapshot is being taken (1) or not (0).', registers, collect() { this.set(src.savingSnapshot() ? 1 : 0); } });
    new Gauge({ name: 'raft_snapshot_restore_in_progress', help: 'Whether a snapshot from the leader is being restored (1) or not (0).', registers, collect() { this.set(src.restoringSnapshot() ? 1 : 0); } });
    this.logCompactions = new Counter({ name: 'raft_log_compactions_total', help: 'Log compactions after a local snapshot.', registers });
    this.peerRtt = new Histogram({
      name: 'raft_peer_round_trip_time_seconds', help: 'Round-trip time of heartbeats from the leader to each peer.', labelNames: ['peer'], buckets: sec(0.0001, 2, 16), registers,
    });
    this.heartbeatFailures = new Counter({
      name: 'raft_heartbeat_send_failures_total', help: 'Heartbeats this member sent as leader more than twice the heartbeat interval after its previous heartbeat to the same peer (the member was likely too busy, e.g. a slow disk).', registers,
    });
    this.slowApplies = new Counter({ name: 'raft_slow_applies_total', help: 'State machine applies (one per batch of commands), and local reads reported by the application, that took longer than the replica\'s warningApplyMs (default 100 ms).', registers });
    this.readIndexFailed = new Counter({ name: 'raft_read_indexes_failed_total', help: 'ReadIndex rounds that failed: refused for want of a leader, refused by the node, or lost to a leader change.', registers });
    this.readIndexSlow = new Counter({ name: 'raft_read_indexes_slow_total', help: 'ReadIndex rounds that timed out, and ReadIndex answers that came for a read no longer waiting for one.', registers });
    this.promoteSuccesses = new Counter({ name: 'raft_learner_promote_successes_total', help: 'Learners promoted to voters by this member as leader.', registers });
    this.promoteFailures = new Counter({ name: 'raft_learner_promote_failures_total', help: 'Learner promotions asked of this member as leader that failed, by reason.', labelNames: ['reason'], registers });
    const walBytes = src.walBytes;
    if (walBytes !== undefined) {
      totals('raft_storage_wal_write_bytes_total', 'Bytes written to the write-ahead log files (frames with their headers and padding; not the zero-fill that preallocates a segment).', walBytes);
    }
    const peerCounter = (name: string, help: string, pick: (s: PeerStats) => number): void => {
      new Counter({
        name, help, labelNames: ['peer'], registers,
        collect() {
          this.reset();
          for (const [peer, s] of src.transportStats()) this.inc({ peer }, pick(s));
        },
      });
    };
    peerCounter('raft_transport_messages_sent_total', 'Messages sent to each peer.', (s) => s.messagesSent);
    peerCounter('raft_transport_bytes_sent_total', 'Bytes sent to each peer.', (s) => s.bytesSent);
    peerCounter('raft_transport_messages_received_total', 'Messages received from each peer.', (s) => s.messagesReceived);
    peerCounter('raft_transport_bytes_received_total', 'Bytes received from each peer.', (s) => s.bytesReceived);
    peerCounter('raft_transport_send_failures_total', 'Messages to each peer that could not be sent.', (s) => s.sendFailures);
    peerCounter('raft_transport_frames_refused_total', 'Frames and connections refused (oversize, malformed, unknown or unauthenticated peers; peer 0 is unidentified).', (s) => s.framesRefused);
    peerCounter('raft_transport_connects_total', 'Connections established to each peer.', (s) => s.connects);
    peerCounter('raft_transport_connect_failures_total', 'Failed connection attempts to each peer.', (s) => s.connectFailures);
    peerCounter('raft_transport_snapshots_sent_total', 'Snapshots sent to each peer.', (s) => s.snapshotsSent);
    peerCounter('raft_transport_snapshots_failed_total', 'Snapshots to each peer that failed.', (s) => s.snapshotsFailed);
    new Gauge({
      name: 'raft_transport_peer_round_trip_seconds', help: 'Latest round-trip time to each peer (the transport\'s, or else the replica\'s heartbeat measurement).', labelNames: ['peer'], registers,
      collect() {
        this.reset();
        for (const [peer, s] of src.transportStats()) {
          const ms = s.rttMs ?? src.rttMs(peer);
          if (ms !== undefined) this.set({ peer }, ms / 1000);
        }
      },
    });
  }

  /** Counts a failed request. */
  fail(reason: FailureReason): void {
    this.failed.inc({ reason });
  }

  /**
   * Counts the outcome of a learner promotion asked of this member: a success, or (when it was
   * leader when asked) a failure by reason. Returns `p` itself.
   */
  promotion(p: Promise<void>, leading: boolean, reason?: PromoteFailureReason): Promise<void> {
    void p.then(() => this.promoteSuccesses.inc(), (err: unknown) => {
      if (leading && !(err instanceof NotLeaderError)) this.promoteFailures.inc({ reason: reason ?? promoteFailureReason(err) });
    });
    return p;
  }

  /**
   * Counts one state machine apply, or one read served from local state, that took `ms`
   * milliseconds: a slow apply when over the source's `warningApplyMs` (etcd counts both kinds so).
   */
  observeApply(ms: number): void {
    if (ms > this.warningApplyMs) this.slowApplies.inc();
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The same values as {@link ReplicaMetrics.text}, by metric name. */
  async json(): Promise<Record<string, MetricJSON>> {
    const out: Record<string, MetricJSON> = {};
    for (const m of await this.registry.getMetricsAsJSON()) {
      out[m.name] = {
        help: m.help,
        type: String(m.type),
        values: m.values.map((v) => {
          const labels: Record<string, string | number> = {};
          for (const [k, l] of Object.entries(v.labels)) if (l !== undefined) labels[k] = l;
          const name = (v as { metricName?: string }).metricName;
          return name === undefined ? { labels, value: v.value } : { labels, value: v.value, metricName: name };
        }),
      };
    }
    return out;
  }
}

/**
 * The reason a promotion failed: a learner not caught up (or not reachable), the quorum rule of
 * the strict reconfiguration check, or the request's {@link FailureReason}.
 */
export function promoteFailureReason(err: unknown): PromoteFailureReason {
  if (err instanceof LearnerNotReadyError) return 'learner_not_ready';
  const reason = failureReason(err);
  return reason === 'refused' ? 'not_enough_started' : reason;
}
