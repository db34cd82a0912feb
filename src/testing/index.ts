/**
 * `raftkit/testing`: tools for testing Raft-based code: a linearizability checker with
 * history recording, and conformance suites that any storage or transport adapter can run.
 *
 * @packageDocumentation
 */
export * from './linearizability/index.js';
