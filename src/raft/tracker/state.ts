/**
 * How a leader replicates to one follower (etcd's `tracker.StateType`); see
 * {@link Progress} for the transitions between states.
 */
export const ProgressState = {
  /**
   * The leader does not know where the follower's log matches its own: it sends at most
   * one append per heartbeat interval and waits for the answer.
   */
  StateProbe: 0,
  /**
   * The follower is known to match: the leader streams appends optimistically, bounded by
   * the in-flight window.
   */
  StateReplicate: 1,
  /** The follower needs a snapshot; the leader sends no appends until it is applied. */
  StateSnapshot: 2,
} as const;

/** One of the {@link ProgressState} values. */
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

/** The display name of each {@link ProgressState}, as etcd prints it (`StateProbe`, …). */
export const ProgressStateName: Readonly<Record<ProgressState, string>> = {
  [ProgressState.StateProbe]: 'StateProbe',
  [ProgressState.StateReplicate]: 'StateReplicate',
  [ProgressState.StateSnapshot]: 'StateSnapshot',
};
