import type { RaftConfig } from '../raft/config.js';
import type { ConfState } from '../raft/entry.js';
import { ConfigInvalidError } from '../raft/errors.js';
import type { RoleName, StateType } from '../raft/ready.js';
import type { ProgressStatus } from '../raft/status.js';
import type { ResourceStatus, Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import type { Clock } from './clock.js';
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
  /** This run's incarnation, which tells a restarted proposer's commands from its earlier ones; default random. Set it for deterministic simulations. */
  incarnation?: number;
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
      /** Whether the member counts as reachable for reconfiguration checks. */
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
}

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
  /** See {@link ReplicaOptions.maxPendingApply}. */
  maxPendingApply: number;
  /** See {@link ReplicaOptions.maxPendingProposals}. */
  maxPendingProposals: number;
  /** See {@link ReplicaOptions.requestTimeoutMs}. */
  requestTimeoutMs: number;
  /** See {@link ReplicaOptions.learnerMaxLag}. */
  learnerMaxLag: number;
  /** See {@link ReplicaOptions.snapshotEvery}. */
  snapshotEvery: number;
  /** See {@link ReplicaOptions.compactionTail}. */
  compactionTail: number;
  /** Whether followers forward proposals. */
  forwarding: boolean;
  /** This run's incarnation. */
  incarnation: number;
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
  return {
    tickMs,
    electionMs,
    maxPendingApply,
    maxPendingProposals: positive('maxPendingProposals', o.maxPendingProposals ?? maxPendingApply),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs ?? 20 * electionMs),
    learnerMaxLag: positive('learnerMaxLag', o.learnerMaxLag ?? 100),
    snapshotEvery: positive('snapshotEvery', o.snapshotEvery ?? 10_000),
    compactionTail,
    forwarding: !(o.disableProposalForwarding ?? false),
    incarnation: o.incarnation ?? (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0),
  };
}
