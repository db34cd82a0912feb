import type { RaftConfig } from '../raft/config.js';
import type { ConfState } from '../raft/entry.js';
import { ENTRY_WIRE_OVERHEAD, MESSAGE_WIRE_OVERHEAD } from '../codec/message.js';
import { ConfigInvalidError } from '../raft/errors.js';
import type { RoleName, StateType } from '../raft/ready.js';
import type { ProgressStatus } from '../raft/status.js';
import type { ResourceStatus, Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import type { Clock } from './clock.js';
import { ENVELOPE_OVERHEAD } from './envelope.js';
import type { PeerAddress } from './membership.js';
import type { StateMachine } from './state-machine.js';

/**
 * Options of {@link Replica.start}. Every {@link RaftConfig} option is accepted too (in ticks);
 * the replica turns `checkQuorum` and `preVote` on by default (as etcd's server does).
 */
export interface ReplicaOptions<R> extends Omit<RaftConfig, 'id' | 'storage' | 'applied'> {
  /** This member's id (a positive integer, unique in the cluster). */
  id: number;
  /** The members of a brand-new cluster, this one included; used only when `storage` is empty. */
  peers?: readonly PeerAddress[];
  /**
   * For a member joining an existing cluster (after `addMember` on the leader) with an empty
   * storage: the addresses of existing members, so it can answer them. The configuration
   * itself is learned from the leader's log or snapshot.
   */
  join?: readonly PeerAddress[];
  /** The durable log (`LevelStorage`, or `MemoryStorage` in tests); opened if needed, closed on stop. */
  storage: Storage;
  /** The transport to the other members; started here, closed on stop. */
  transport: Transport;
  /** The application's state machine (see `StateMachine` for the applied-index contract). */
  stateMachine: StateMachine<R>;
  /** The source of time. Default: real timers. */
  clock?: Clock;
  /** Milliseconds per Raft tick. Default 100. */
  tickMs?: number;
  /** Applied entries between snapshots. Default 10000. */
  snapshotEvery?: number;
  /** Entries kept below a snapshot when compacting, for followers that trail a little. Default 1000. */
  compactionTail?: number;
  /** Proposals are refused with `TooManyRequestsError` while committed − applied exceeds this. Default 5000. */
  maxPendingApply?: number;
  /** Proposals are refused with `TooManyRequestsError` while this many are pending. Default `maxPendingApply`. */
  maxPendingProposals?: number;
  /** Milliseconds before a request fails with `TimeoutError`. Default 20 election timeouts. */
  requestTimeoutMs?: number;
  /** Promotion is refused while the learner's match index trails the leader's by more. Default 100. */
  learnerMaxLag?: number;
  /**
   * Milliseconds a voter must have been in unbroken contact with the leader (no silence longer
   * than an election timeout) to count toward the quorum that a membership change must leave
   * reachable. Default 0: reachable now is enough. etcd's server uses 5000 (its
   * `HealthInterval`), and so does the `raftkit` command.
   *
   * Contact is counted from the messages this member accepts. A follower hears only from the
   * leader, so a member that has just been elected has been in contact with the other followers
   * only since its election, and refuses voter changes for up to one interval after it (etcd's
   * transport keeps every pair of members connected, so its new leader need not wait).
   */
  healthIntervalMs?: number;
  /**
   * etcd's `adjustTicks`: at start, a member fast-forwards its election ticks, so that its first
   * campaign comes up to one election timeout sooner. Its cluster's only voter counts all but one
   * of the election timeout's ticks as elapsed; a voter of a larger cluster all but two, when
   * `preVote` and `checkQuorum` are on (the default), for then an early campaign cannot unseat a
   * leader it has not yet heard from (etcd waits for its peers' connections instead).
   * `'lone-voter'` fast-forwards only its cluster's only voter, as etcd does with
   * `--initial-election-tick-advance=false`. Default false. The `raftkit` command sets it from that flag.
   */
  initialElectionTickAdvance?: boolean | 'lone-voter';
  /**
   * etcd's `--strict-reconfig-check` (default true): a voter is added or removed only when the new
   * voter set keeps a quorum among the voters reachable now. `false` skips that check (the change
   * may leave the cluster without a quorum), as etcd's does; a learner's promotion still waits
   * until it has caught up, and the last voter is never removed.
   */
  strictReconfigCheck?: boolean;
  /**
   * A state machine apply (or a local read the application reports with `Replica.observeRead`)
   * that takes longer than this, in ms, counts as slow (`etcd_server_slow_apply_total`; etcd's
   * `--experimental-warning-apply-duration`). Default 100.
   */
  warningApplyMs?: number;
  /** This run's incarnation, which tells a restarted proposer's commands from its earlier ones; default random. Set it for deterministic simulations. */
  incarnation?: number;
  /**
   * The largest command, in bytes, `propose` accepts; larger ones are refused at once with
   * `RequestTooLargeError` (and proposals forwarded by peers above it are refused at the door).
   * Default 1,572,864 (1.5 MiB, etcd's `--max-request-bytes`). It must fit in the transport's
   * `maxFrameSize` with the per-entry overhead (checked by `Replica.start`).
   */
  maxRequestBytes?: number;
}

/** A replica's state, from {@link Replica.status}. */
export interface ReplicaStatus {
  /** This member's id. */
  id: number;
  /** The replica's lifecycle. */
  lifecycle: ResourceStatus;
  /** The known leader, or 0. */
  leader: number;
  /** The current term. */
  term: number;
  /** This member's role (a {@link StateType} number; see `roleName` for the word). */
  role: StateType;
  /** This member's role as a word: `'follower'`, `'candidate'`, `'leader'` or `'pre-candidate'`. */
  roleName: RoleName;
  /** The commit index. */
  commit: number;
  /** The index of the last entry applied to the state machine. */
  applied: number;
  /** The current configuration. */
  config: ConfState;
  /** Every known member's address. */
  members: Map<number, string>;
  /** Requests waiting for their entry to apply. */
  pending: number;
  /**
   * On the leader: each member's progress, whether it counts as reachable for reconfiguration,
   * and the latest heartbeat round-trip time to it.
   */
  progress?: Map<
    number,
    ProgressStatus & {
      /**
       * Whether the member is reachable now (heard from within an election timeout). A voter
       * counts toward a reconfiguration's quorum once it has been for `healthIntervalMs`.
       */
      active: boolean;
      /** The latest heartbeat round-trip time to the member in milliseconds, once measured (see `raft_peer_round_trip_time_seconds`). */
      rttMs?: number;
    }
  >;
}

/** Options of one request. */
export interface RequestOptions {
  /** Milliseconds before it fails with `TimeoutError`. Default: the replica's `requestTimeoutMs`. */
  timeoutMs?: number;
  /**
   * What a proposal or read does while no leader is known (right after start, or during an
   * election). `true` (the default): it waits for a leader until its timeout, as an etcd
   * client sees it. `false`: it fails at once with `ProposalDroppedError`.
   */
  waitForLeader?: boolean;
  /**
   * Gives up on the request when aborted: it fails at once with `AbortedError` (whose `cause`
   * is the signal's reason). Like a timeout, it only stops the waiting: a command already
   * handed to Raft may still be applied.
   */
  signal?: AbortSignal;
}

/** The default of {@link ReplicaOptions.warningApplyMs}: etcd's `warnApplyDuration`. */
export const SLOW_APPLY_MS = 100;

/** Checks that `v` is a positive integer, naming the option otherwise. */
export function positive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigInvalidError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** {@link ReplicaOptions} with defaults filled in and validated. */
export interface ResolvedReplicaOptions {
  /** Milliseconds per tick. */
  tickMs: number;
  /** Milliseconds of one (minimum) election timeout. */
  electionMs: number;
  /** Milliseconds between a leader's heartbeats (`heartbeatTick` × `tickMs`). */
  heartbeatMs: number;
  /** See {@link ReplicaOptions.maxPendingApply}. */
  maxPendingApply: number;
  /** See {@link ReplicaOptions.maxPendingProposals}. */
  maxPendingProposals: number;
  /** See {@link ReplicaOptions.requestTimeoutMs}. */
  requestTimeoutMs: number;
  /** See {@link ReplicaOptions.learnerMaxLag}. */
  learnerMaxLag: number;
  /** See {@link ReplicaOptions.healthIntervalMs}. */
  healthIntervalMs: number;
  /** See {@link ReplicaOptions.strictReconfigCheck}. */
  strictReconfigCheck: boolean;
  /** See {@link ReplicaOptions.initialElectionTickAdvance}. */
  initialElectionTickAdvance: boolean | 'lone-voter';
  /** See {@link ReplicaOptions.warningApplyMs}. */
  warningApplyMs: number;
  /** See {@link ReplicaOptions.snapshotEvery}. */
  snapshotEvery: number;
  /** See {@link ReplicaOptions.compactionTail}. */
  compactionTail: number;
  /** Whether followers forward proposals. */
  forwarding: boolean;
  /** This run's incarnation. */
  incarnation: number;
  /** See {@link ReplicaOptions.maxRequestBytes}. */
  maxRequestBytes: number;
  /** The node's `maxSizePerMsg` (default 1 MiB). */
  maxSizePerMsg: number;
}

/** The default {@link ReplicaOptions.maxRequestBytes}: 1.5 MiB, as etcd's. */
export const DEFAULT_MAX_REQUEST_BYTES = 1_572_864;

/**
 * Checks that the replica can always ship what it accepts: the MsgApp carrying one command
 * of `maxRequestBytes` (with its envelope and the entry and message encoding overhead), and
 * a MsgApp batch of `maxSizePerMsg` (whose wire size is at most 1.5 times its counted size,
 * as each entry is counted with 16 bytes of overhead and encoded with at most 24), must each
 * fit in one frame of the transport. Otherwise an entry the leader accepted could never be
 * sent, and the leader would retry it forever.
 *
 * @throws {@link ConfigInvalidError} naming the limits that do not fit.
 */
export function checkFrameBudget(maxRequestBytes: number, maxSizePerMsg: number, maxFrameSize: number | undefined): void {
  if (maxFrameSize === undefined) return;
  const entry = maxRequestBytes + ENVELOPE_OVERHEAD + ENTRY_WIRE_OVERHEAD + MESSAGE_WIRE_OVERHEAD;
  if (entry > maxFrameSize) {
    throw new ConfigInvalidError(
      `maxRequestBytes (${maxRequestBytes}) plus ${entry - maxRequestBytes} bytes of overhead exceeds the transport's maxFrameSize (${maxFrameSize})`,
    );
  }
  const batch = Math.ceil(maxSizePerMsg * 1.5) + MESSAGE_WIRE_OVERHEAD;
  if (batch > maxFrameSize) {
    throw new ConfigInvalidError(
      `maxSizePerMsg (${maxSizePerMsg}) may encode to ${batch} bytes, more than the transport's maxFrameSize (${maxFrameSize}); use at most ${Math.floor((maxFrameSize - MESSAGE_WIRE_OVERHEAD) / 1.5)}`,
    );
  }
}

/**
 * Fills in the defaults of the replica's own options and validates them.
 *
 * @throws {@link ConfigInvalidError} naming the invalid option.
 */
export function resolveOptions(o: ReplicaOptions<unknown>): ResolvedReplicaOptions {
  const tickMs = positive('tickMs', o.tickMs ?? 100);
  const electionMs = (o.electionTick ?? 10) * tickMs;
  const maxPendingApply = positive('maxPendingApply', o.maxPendingApply ?? 5000);
  const compactionTail = o.compactionTail ?? 1000;
  if (!Number.isSafeInteger(compactionTail) || compactionTail < 0) {
    throw new ConfigInvalidError(`compactionTail must be a non-negative integer, got ${String(compactionTail)}`);
  }
  const healthIntervalMs = o.healthIntervalMs ?? 0;
  if (!Number.isSafeInteger(healthIntervalMs) || healthIntervalMs < 0) {
    throw new ConfigInvalidError(`healthIntervalMs must be a non-negative integer, got ${String(healthIntervalMs)}`);
  }
  const maxRequestBytes = positive('maxRequestBytes', o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
  const maxSizePerMsg = o.maxSizePerMsg ?? 1024 * 1024;
  checkFrameBudget(maxRequestBytes, maxSizePerMsg, o.transport.maxFrameSize);
  return {
    maxSizePerMsg,
    tickMs,
    electionMs,
    heartbeatMs: (o.heartbeatTick ?? 1) * tickMs,
    maxRequestBytes,
    maxPendingApply,
    maxPendingProposals: positive('maxPendingProposals', o.maxPendingProposals ?? maxPendingApply),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs ?? 20 * electionMs),
    learnerMaxLag: positive('learnerMaxLag', o.learnerMaxLag ?? 100),
    healthIntervalMs,
    strictReconfigCheck: o.strictReconfigCheck ?? true,
    initialElectionTickAdvance: o.initialElectionTickAdvance ?? false,
    warningApplyMs: positive('warningApplyMs', o.warningApplyMs ?? SLOW_APPLY_MS),
    snapshotEvery: positive('snapshotEvery', o.snapshotEvery ?? 10_000),
    compactionTail,
    forwarding: !(o.disableProposalForwarding ?? false),
    incarnation: o.incarnation ?? (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0),
  };
}
