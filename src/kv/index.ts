/**
 * raftkit/kv: an MVCC key-value store with etcd v3 semantics on top of a raftkit `Replica`.
 *
 * @packageDocumentation
 * @module raftkit/kv
 */
export { CompareResult, CompareTarget, EventType, SortOrder, SortTarget } from './types.js';
export type {
  Bytes,
  Compare,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ReadonlyEvent,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.js';
export {
  CompactedRevisionError,
  CorruptClusterError,
  DuplicateKeyError,
  EmptyKeyError,
  EmptyWatchRangeError,
  FutureRevisionError,
  GrpcStatus,
  KeyNotFoundError,
  KvError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseProvidedError,
  LeaseTtlTooLargeError,
  NoSpaceError,
  TooManyOpsError,
  TtlZeroError,
  ValueProvidedError,
} from './errors.js';
export { KvStateMachine } from './kv-state-machine.js';
export type { KvResult, KvStateMachineOptions, HashCommand, MemberCommand, RevisionEvents } from './kv-state-machine.js';
export { KvBackendWriteError } from './write-queue.js';
export { KvClient, NotKvStateMachineError } from './kv-client.js';
export type { CompactOptions, DeleteRangeOptions, KvClientOptions, PutOptions, RangeOptions } from './kv-client.js';
export type { KvRequestOptions } from './request-options.js';
export { LeaseClient } from './lease-client.js';
export type { Lease } from './mvcc/lease-table.js';
export type { Revision } from './mvcc/revision.js';
export { prefixEnd } from './mvcc/bytes.js';
export { DEFAULT_MAX_TXN_OPS } from './mvcc/check.js';
export { MAX_LEASE_TTL } from './mvcc/lease-table.js';
export { BadCommandError } from './commands.js';
export type { HashCheckCommand, HashVerdict, HashVerdictCommand, KvCommand, MemberChangeRequest, MemberRequestCommand, MemberResultCommand } from './commands.js';
export { BadKvSnapshotError } from './snapshot-format.js';
export type { MvccOpCounts } from './mvcc/op-counts.js';
export type { Change, MvccStore, RangeKeysOptions, RangeKeysResult, ReadView, ValueReader } from './mvcc/store.js';
export type { TreeIndex, IndexHit } from './mvcc/tree-index.js';
export type { KeyIndex, Generation, KeyAt } from './mvcc/key-index.js';
export type { LeaseTable } from './mvcc/lease-table.js';
export type { KeyRange } from './mvcc/bytes.js';
export { CATCH_UP_REVISIONS, WatchHub, WATCH_COMPACTED_REASON } from './watch/watch-hub.js';
export type { WatchHubOptions } from './watch/watch-hub.js';
export { Watcher } from './watch/watcher.js';
export type { WatcherHub } from './watch/watcher.js';
export { WatchFilterType } from './watch/types.js';
export type { WatchBatch, WatchOptions, WatchSource } from './watch/types.js';
export { Lessor } from './lease/lessor.js';
export type { LessorOptions } from './lease/lessor.js';
export type { LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseStatus, LeaseTimeToLiveResponse } from './lease/types.js';
export { MaintenanceClient, KV_API_VERSION, databaseSize, findCorruptMembers } from './maintenance/maintenance-client.js';
export type { DefragmentResponse, HashKVResponse, MemberHash, StatusResponse } from './maintenance/maintenance-client.js';
export { DataInconsistencyError } from './maintenance/corruption-check.js';
export type { CorruptionCheckOptions, CorruptionCheckReport } from './maintenance/corruption-check.js';
export { AlarmsClient, DEFAULT_QUOTA_BACKEND_BYTES } from './alarms/alarms-client.js';
export { AlarmTable, AlarmType, ALARM_NAMES } from './alarms/alarm-table.js';
export type { AlarmMember, AlarmResponse } from './alarms/alarm-table.js';
export { ClusterClient } from './cluster/cluster-client.js';
export { MemberAttrTable } from './cluster/member-attrs.js';
export { ForwardedMemberChangeError, MemberForwarder } from './cluster/member-forward.js';
export type { MemberAttributes } from './cluster/member-attrs.js';
export type { Member, MemberAddResponse, MemberListResponse } from './cluster/cluster-client.js';
export { KvMetrics } from './kv-metrics.js';
export type { KvLiveOptions, KvLiveParts } from './kv-live.js';
// etcd snapshot files (bbolt backend databases): save, status, restore.
export { KvSnapshots } from './etcd-backend/snapshots.js';
export type { BackendHash, KvSnapshotsOptions } from './etcd-backend/snapshots.js';
export { snapshotStatus } from './etcd-backend/status.js';
export type { SnapshotStatus } from './etcd-backend/status.js';
export { restoreSnapshot } from './etcd-backend/restore.js';
export type { RestoreSummary } from './etcd-backend/restore.js';
export { SNAPSHOT_CHUNK_BYTES, snapshotChunks, writeSnapshotChunks } from './etcd-backend/snapshot-stream.js';
export type { SnapshotChunk, SnapshotStreamOptions } from './etcd-backend/snapshot-stream.js';
export { kvBackendSource } from './etcd-backend/kv-records.js';
export type { ClusterFacts, KvLocation } from './etcd-backend/kv-records.js';
export { writeEtcdBackend } from './etcd-backend/backend-writer.js';
export type { EtcdBackendSource, StoredRevision } from './etcd-backend/backend-writer.js';
export { EtcdBackendReader } from './etcd-backend/backend-reader.js';
export type { EtcdBackendInfo } from './etcd-backend/backend-reader.js';
export type { StoredMember } from './etcd-backend/layout.js';
export type { StoredAlarm, StoredKeyValue, StoredLease } from './etcd-backend/proto.js';
export { BoltReader } from './bbolt/reader.js';
export type { BoltBucket, BoltOpenOptions, BoltReadEntry } from './bbolt/reader.js';
export { writeBoltFile } from './bbolt/writer.js';
export type { BoltBucketSource, BoltEntry, BoltWriteOptions, BoltWriteResult } from './bbolt/writer.js';
export type { BoltMeta } from './bbolt/format.js';
export { BoltInputError, SnapshotCorruptError } from './bbolt/errors.js';
export type { SnapshotProblem } from './bbolt/errors.js';
export { RestoreDataDirExistsError, SnapshotMissingHashError, restoreDataDir } from './etcd-backend/restore-command.js';
export { RestoreNotEmptyError, restoreMember } from './maintenance/snapshot-file.js';
export type { RestoredMember, RestoreOptions as MemberRestoreOptions } from './maintenance/snapshot-file.js';
