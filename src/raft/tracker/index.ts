/**
 * The leader's view of its peers (etcd's `tracker` package): per-peer replication
 * {@link Progress} with its in-flight window, and the {@link ProgressTracker} that holds
 * the membership, every peer's progress and the election's votes.
 *
 * @module
 */
export { ProgressState, ProgressStateName } from './state.js';
export { Inflights } from './inflights.js';
export { Progress, describeProgressMap } from './progress.js';
export type { ProgressInit } from './progress.js';
export {
  ProgressTracker,
  cloneTrackerConfig,
  describeTrackerConfig,
  emptyTrackerConfig,
} from './progress-tracker.js';
export type { ProgressMap, TrackerConfig } from './progress-tracker.js';
