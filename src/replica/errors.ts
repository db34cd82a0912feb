import { RaftkitError } from '../errors.js';

/**
 * The operation needs the leader and this member is not it (a membership change, or a
 * proposal when forwarding is disabled). Codes: `ERR_NOT_LEADER`.
 */
export class NotLeaderError extends RaftkitError {
  /** The id of the leader this member knows of, or 0 when it knows of none. */
  readonly leader: number;

  /**
   * @param leader - the known leader's id, or 0.
   * @param message - detail.
   */
  constructor(leader: number, message = `not the leader (leader hint: ${leader === 0 ? 'unknown' : String(leader)})`) {
    super('ERR_NOT_LEADER', message);
    this.leader = leader;
  }
}

/** The operation did not complete within its deadline; it may still take effect later. Code `ERR_TIMEOUT`. */
export class TimeoutError extends RaftkitError {
  /** @param message - which operation timed out and after how long. */
  constructor(message: string) {
    super('ERR_TIMEOUT', message);
  }
}

/**
 * The request was given up because its `AbortSignal` was aborted (see `RequestOptions.signal`);
 * like a timeout, its outcome is unknown when the command had already been handed to Raft.
 * `cause` is the signal's reason. Code `ERR_ABORTED`.
 */
export class AbortedError extends RaftkitError {
  /** @param reason - the signal's reason. */
  constructor(reason: unknown) {
    super('ERR_ABORTED', `request aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }
}

/** The replica is not running (never started, stopping, stopped or removed). Code `ERR_STOPPED`. */
export class StoppedError extends RaftkitError {
  /** @param message - detail. */
  constructor(message = 'replica is stopped') {
    super('ERR_STOPPED', message);
  }
}

/**
 * The replica is overloaded: committed entries wait to be applied (committed − applied exceeds
 * `maxPendingApply`), or too many proposals are pending. Retry later. Code `ERR_TOO_MANY_REQUESTS`.
 */
export class TooManyRequestsError extends RaftkitError {
  /** @param message - which limit was hit. */
  constructor(message: string) {
    super('ERR_TOO_MANY_REQUESTS', message);
  }
}

/**
 * A membership change was refused before it was proposed because it is unsafe: it would leave
 * the cluster without a quorum of reachable voters, the learner has not caught up, or the
 * member is unknown or already present. Code `ERR_MEMBERSHIP_REFUSED`.
 */
export class MembershipRefusedError extends RaftkitError {
  /** @param message - the rule the change breaks and the numbers involved. */
  constructor(message: string) {
    super('ERR_MEMBERSHIP_REFUSED', message);
  }
}

/**
 * The {@link MembershipRefusedError} of a promotion refused because the learner has not caught
 * up with the leader (or is not reachable): the same code, `ERR_MEMBERSHIP_REFUSED`; the class
 * tells this rule apart from the others (the promotion metrics count it as `learner_not_ready`).
 */
export class LearnerNotReadyError extends MembershipRefusedError {}

/**
 * The state machine failed to apply committed entries (its `apply` or `restore` threw or
 * rejected), so the replica stopped rather than skip them and diverge from the other members.
 * Emitted as an `error` event, and the rejection of the failed batch's own proposals. Fix the
 * state machine and restart the replica: it applies again from the state machine's
 * `appliedIndex()`, starting with `index`. Code `ERR_APPLY_FAILED`; `cause` is the thrown error.
 */
export class ApplyFailedError extends RaftkitError {
  /** The log index of the first entry (or the snapshot) that could not be applied. */
  readonly index: number;

  /**
   * @param index - the first index not applied.
   * @param message - which entries failed.
   * @param options - optional settings.
   * @param options.cause - the error the state machine threw.
   */
  constructor(index: number, message: string, options?: { cause?: unknown }) {
    super('ERR_APPLY_FAILED', message, options);
    this.index = index;
  }
}

/**
 * A request was refused before it was proposed because its command is larger than the
 * replica's `maxRequestBytes` (default 1.5 MiB, as etcd's `--max-request-bytes`). Nothing
 * was proposed; the cluster is unaffected. Code `ERR_REQUEST_TOO_LARGE`.
 *
 * The message starts with etcd's own text ({@link RequestTooLargeError.etcdMessage}), so an
 * etcd-compatible front end can pass it on unchanged.
 */
export class RequestTooLargeError extends RaftkitError {
  /** etcd's text for this error (`ErrRequestTooLarge`), which etcd clients match on. */
  static readonly etcdMessage = 'etcdserver: request is too large';
  /** The size of the refused command in bytes. */
  readonly size: number;
  /** The limit it exceeds (`maxRequestBytes`). */
  readonly limit: number;

  /**
   * @param size - the command's size in bytes.
   * @param limit - the `maxRequestBytes` it exceeds.
   */
  constructor(size: number, limit: number) {
    super('ERR_REQUEST_TOO_LARGE', `${RequestTooLargeError.etcdMessage} (${size} bytes, maxRequestBytes ${limit})`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A call was made with an invalid argument (a command that is not a `Uint8Array`, a member id
 * that is not a positive integer, an address the transport cannot dial, an unknown option…).
 * Nothing was done. Code `ERR_INVALID_ARGUMENT`.
 */
export class InvalidArgumentError extends RaftkitError {
  /** @param message - the argument and the rule it breaks. */
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/**
 * `Replica.start` failed for a reason that is not already a raftkit error (the state machine's
 * `restore` threw, …); `cause` is the original error. The storage and the transport were
 * closed. Code `ERR_START_FAILED`.
 */
export class ReplicaStartError extends RaftkitError {
  /**
   * @param message - what failed.
   * @param options - optional settings.
   * @param options.cause - the original error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_START_FAILED', message, options);
  }
}

/**
 * `Replica.start` found a snapshot by reference (see `StateMachine.persist`) that recorded the
 * state machine durable up to `recorded`, but the state machine's `appliedIndex()` is only
 * `applied`: its database was lost or replaced, and the log before the snapshot is compacted,
 * so the entries in between cannot be applied again. The replica refuses to start rather than
 * lose them; restore the state machine's database (or start the member afresh and let it
 * catch up from the cluster). Code `ERR_STATE_MACHINE_BEHIND_SNAPSHOT`.
 */
export class StateMachineBehindSnapshotError extends RaftkitError {
  /** The index of the stored snapshot by reference. */
  readonly snapshotIndex: number;
  /** The state machine's applied index the snapshot recorded as durable. */
  readonly recorded: number;
  /** The state machine's `appliedIndex()` at start. */
  readonly applied: number;

  /**
   * @param snapshotIndex - the stored snapshot's index.
   * @param recorded - the state machine's applied index the snapshot recorded.
   * @param applied - the state machine's `appliedIndex()`.
   */
  constructor(snapshotIndex: number, recorded: number, applied: number) {
    super(
      'ERR_STATE_MACHINE_BEHIND_SNAPSHOT',
      `the state machine's applied index ${applied} is older than the index ${recorded} recorded by the snapshot by reference at ${snapshotIndex}: its database was lost or replaced; refusing to start`,
    );
    this.snapshotIndex = snapshotIndex;
    this.recorded = recorded;
    this.applied = applied;
  }
}
