/**
 * `raftkit/testing`: tools for testing Raft-based code: `SimCluster`, a deterministic
 * simulation of Replicas on virtual time with seeded faults (partitions, loss, duplication,
 * reordering, crashes, pauses, clock skew, slow disks, membership changes); a
 * linearizability checker with history recording; and conformance suites that any storage
 * or transport adapter can run.
 *
 * @packageDocumentation
 * @module raftkit/testing
 */
export * from './linearizability/index.js';
export { capabilitiesOf, runStorageConformance } from './conformance/storage-suite.js';
export type { ConformanceTest, StorageConformanceOptions } from './conformance/storage-suite.js';
export { runTransportConformance, waitForTransportEvent } from './conformance/transport-suite.js';
export type { TransportConformanceOptions, TransportFactoryOptions } from './conformance/transport-suite.js';
export { SimCluster } from './sim/cluster.js';
export type { RunOptions, SimClusterOptions } from './sim/cluster.js';
export { SimTimeoutError } from './sim/stats.js';
export type { SimStats } from './sim/stats.js';
export { Chaos } from './sim/chaos.js';
export type { ChaosCounts, ChaosOptions, MsRange } from './sim/chaos.js';
export { ManualClock, MemberClock } from './sim/manual-clock.js';
export type { SimMemberState, SimMemberStatus, SimReplicaOptions } from './sim/member.js';
export { SimDisk, SimStorage } from './sim/sim-storage.js';
export type { SimDiskStats } from './sim/sim-storage.js';
export { SimTransport, traceMessage } from './sim/sim-transport.js';
export { Trace } from './sim/trace.js';
export { classifyFailure, runWorkload } from './sim/workload.js';
export type { WorkloadContext, WorkloadCounts, WorkloadOperation, WorkloadOptions, WorkloadResult } from './sim/workload.js';
