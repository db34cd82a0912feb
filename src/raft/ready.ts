import type { Entry, HardState, Snapshot } from './entry.js';
import type { Message } from './messages.js';

/** The role of a node. Values match etcd's `StateType`. */
export const StateType = {
  /** Follows a leader (or waits for one). */
  Follower: 0,
  /** Campaigning for votes in a new term. */
  Candidate: 1,
  /** The leader of the current term. */
  Leader: 2,
  /** Running a PreVote round before becoming a candidate (thesis §9.6). */
  PreCandidate: 3,
} as const;

/** One of the {@link StateType} values. */
export type StateType = (typeof StateType)[keyof typeof StateType];

/** Names of the {@link StateType} values, for logs and descriptions. */
export const StateTypeName: Readonly<Record<StateType, string>> = {
  0: 'StateFollower',
  1: 'StateCandidate',
  2: 'StateLeader',
  3: 'StatePreCandidate',
};

/** A role as a word, for people and logs: see {@link RoleName}. */
export type RoleName = 'follower' | 'candidate' | 'leader' | 'pre-candidate';

/** The word for each {@link StateType} value (`RoleName[StateType.Leader]` is `'leader'`). */
export const RoleName: Readonly<Record<StateType, RoleName>> = {
  0: 'follower',
  1: 'candidate',
  2: 'leader',
  3: 'pre-candidate',
};

/** Volatile state that the application may find useful (logging, routing); it is not persisted. */
export interface SoftState {
  /** The current leader's id, or 0 when unknown. */
  lead: number;
  /** This node's role. */
  raftState: StateType;
}

/**
 * The answer to a `readIndex` request: once the application has applied up to `index`,
 * a read for `requestCtx` is linearizable.
 */
export interface ReadState {
  /** The commit index at the time the read was confirmed by a quorum. */
  index: number;
  /** The context passed to `readIndex`, identifying the request. */
  requestCtx: Uint8Array;
}

/**
 * What a node has ready for the application: state to persist, entries to apply and
 * messages to send. Every field is read-only for the application.
 *
 * The application must handle a Ready in this order (etcd's doc.go, steps 1–4):
 * 1. Persist `hardState` (if present), `entries` and `snapshot` (if present) to stable
 *    storage, with an fsync when `mustSync` is true.
 * 2. Send `messages` (these may be sent before step 1 completes) and, only once step 1 is
 *    durable, `persistedMessages`. If a message carries a snapshot, call
 *    `reportSnapshot` with the outcome.
 * 3. Apply `snapshot` (if present) and then `committedEntries` to the state machine; for conf
 *    change entries call `applyConfChange`.
 * 4. Call `advance(ready)`.
 */
export interface Ready {
  /** The soft state, present only when it changed since the previous Ready. */
  softState?: SoftState | undefined;
  /** The hard state to persist, present only when it changed since the previous Ready. */
  hardState?: HardState | undefined;
  /** Read requests that are now confirmed; see {@link ReadState}. */
  readStates: ReadState[];
  /** New log entries to persist (after the snapshot, if any). */
  entries: Entry[];
  /** A snapshot to persist and apply, present only when one was received. */
  snapshot?: Snapshot | undefined;
  /** Committed entries to apply to the state machine, in order. They were persisted in an earlier Ready. */
  committedEntries: Entry[];
  /**
   * Messages that may be sent at once, even before this Ready's writes are durable (for
   * example a leader's appends, thesis §10.2.1).
   */
  messages: Message[];
  /** Messages that must be sent only after this Ready's writes are durable (votes, append acknowledgements). */
  persistedMessages: Message[];
  /** Whether the writes of this Ready must be synced to disk before the persisted messages go out. */
  mustSync: boolean;
}

/**
 * Whether the writes described by the new hard state and entries must be fsynced: the term,
 * vote or number of entries changed (commit alone may be lost and relearned).
 */
export function mustSync(st: HardState, prev: HardState, entsLen: number): boolean {
  return entsLen !== 0 || st.vote !== prev.vote || st.term !== prev.term;
}
