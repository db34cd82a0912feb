/**
 * `raftkit/testing`: tools for testing Raft-based code: a linearizability checker with
 * history recording, and conformance suites that any storage or transport adapter can run.
 *
 * @packageDocumentation
 */
export * from './linearizability/index.js';
export { capabilitiesOf, runStorageConformance } from './conformance/storage-suite.js';
export type { ConformanceTest, StorageConformanceOptions } from './conformance/storage-suite.js';
export { runTransportConformance } from './conformance/transport-suite.js';
export type { TransportConformanceOptions, TransportFactoryOptions } from './conformance/transport-suite.js';
