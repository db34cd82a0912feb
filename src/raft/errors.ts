import { RaftkitError } from '../errors.js';

/**
 * A proposal (or conf change, or leadership transfer request) was dropped: there is no
 * known leader, a leadership transfer is in progress, the uncommitted log is too large,
 * forwarding is disabled, or this node is not a member. Retrying later may succeed.
 */
export class ProposalDroppedError extends RaftkitError {
  /** @param reason - why the proposal was dropped. */
  constructor(reason = 'raft proposal dropped') {
    super('ERR_PROPOSAL_DROPPED', reason);
  }
}

/** The requested index is older than the storage's first index: it was compacted away. */
export class CompactedError extends RaftkitError {
  /** @param message - detail about the compacted index. */
  constructor(message = 'requested index is unavailable due to compaction') {
    super('ERR_COMPACTED', message);
  }
}

/** The requested index is beyond the storage's last index. */
export class UnavailableError extends RaftkitError {
  /** @param message - detail about the unavailable index. */
  constructor(message = 'requested entry at index is unavailable') {
    super('ERR_UNAVAILABLE', message);
  }
}

/** A snapshot older than the storage's current snapshot was applied or created. */
export class SnapOutOfDateError extends RaftkitError {
  /** @param message - detail about the out-of-date snapshot. */
  constructor(message = 'requested index is older than the existing snapshot') {
    super('ERR_SNAP_OUT_OF_DATE', message);
  }
}

/**
 * The storage cannot produce a snapshot right now (for example one is being built);
 * the leader retries later.
 */
export class SnapshotTemporarilyUnavailableError extends RaftkitError {
  /** @param message - detail. */
  constructor(message = 'snapshot is temporarily unavailable') {
    super('ERR_SNAPSHOT_TEMPORARILY_UNAVAILABLE', message);
  }
}

/** A local-only message type (such as `MsgHup`) was passed to `RaftNode.step`. */
export class StepLocalMsgError extends RaftkitError {
  /** @param message - detail naming the message type. */
  constructor(message = 'raft: cannot step raft local message') {
    super('ERR_STEP_LOCAL_MSG', message);
  }
}

/** A response message came from a peer that is not in the current configuration. */
export class StepPeerNotFoundError extends RaftkitError {
  /** @param message - detail naming the peer. */
  constructor(message = 'raft: cannot step as peer not found') {
    super('ERR_STEP_PEER_NOT_FOUND', message);
  }
}

/** A configuration value (RaftNode config, or a conf change) is invalid; the message names the field. */
export class ConfigInvalidError extends RaftkitError {
  /** @param message - which field is wrong and which rule it breaks. */
  constructor(message: string) {
    super('ERR_CONFIG_INVALID', message);
  }
}

/**
 * A Raft invariant would be broken (for example committing beyond the last index, or
 * storage returning a log that contradicts the hard state). This indicates a bug or corrupt
 * storage; the node must not continue.
 */
export class RaftInvariantError extends RaftkitError {
  /** @param message - which invariant and the values involved. */
  constructor(message: string) {
    super('ERR_RAFT_INVARIANT', message);
  }
}

/**
 * A message from a peer was refused without touching any state: it breaks one of the
 * structural rules listed in `PEER_MESSAGE_RULES` (checked by `checkPeerMessage` when the
 * message enters), or it contradicts this node's committed log. The node carries on; the
 * driver counts the refusal. Code `ERR_MESSAGE_REFUSED`.
 */
export class MessageRefusedError extends RaftkitError {
  /** The name of the rule the message breaks (a key of `PEER_MESSAGE_RULES`). */
  readonly rule: string;

  /**
   * @param rule - the rule's name.
   * @param message - the rule and the values involved.
   */
  constructor(rule: string, message: string) {
    super('ERR_MESSAGE_REFUSED', `message refused (${rule}): ${message}`);
    this.rule = rule;
  }
}
