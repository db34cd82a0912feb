import type { StateType } from '../raft/ready.js';

/** The events a `Replica` emits (an `eventemitter3` map: one typed listener per event). */
export interface ReplicaEvents {
  /** The known leader changed (`leader` is 0 while there is none); `term` is this member's term then. */
  'leader-change': (leader: number, term: number) => void;
  /** This member's role changed (follower, candidate, pre-candidate, leader). */
  'role-change': (role: StateType) => void;
  /** Committed entries up to `index` were applied (emitted once per applied batch). */
  applied: (index: number) => void;
  /** A snapshot at `index` was `'created'` locally or `'restored'` from the leader. */
  snapshot: (kind: 'created' | 'restored', index: number) => void;
  /** A membership change adding `id` (a voter, or a learner when `learner`) was applied. */
  'member-added': (id: number, address: string, learner: boolean) => void;
  /** A membership change removing `id` was applied (when `id` is this member, it then stops). */
  'member-removed': (id: number) => void;
  /**
   * An error: a malformed entry or a failed local snapshot (the replica goes on), or a failure
   * that stops it: `ApplyFailedError` (the state machine threw), a storage write failure.
   */
  error: (error: Error) => void;
}
