/**
 * Pure quorum math (etcd's `quorum` package): committed indexes and vote outcomes for
 * majority and joint configurations. Imports nothing from the rest of raftkit.
 *
 * @module
 */
export { MajorityConfig } from './majority.js';
export { JointConfig } from './joint.js';
export { VoteResult, VoteResultName, mapAckedIndexer } from './vote-result.js';
export type { AckedIndexer } from './vote-result.js';
