/**
 * raftkit: a pure, deterministic Raft consensus core with etcd's Ready/step API.
 *
 * @packageDocumentation
 * @module raftkit
 */
export { RaftkitError } from './errors.js';
export {
  CompactedError,
  ConfigInvalidError,
  ProposalDroppedError,
  SnapOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  StepLocalMsgError,
  StepPeerNotFoundError,
  UnavailableError,
} from './raft/errors.js';
export {
  EMPTY_BYTES,
  EntryType,
  emptyConfState,
  emptyHardState,
  emptySnapshot,
  isEmptyHardState,
  isEmptySnapshot,
} from './raft/entry.js';
export type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from './raft/entry.js';
export { MessageType, MessageTypeName, createMessage, isLocalMessage, isResponseMessage } from './raft/messages.js';
export type { Message, MessageInit } from './raft/messages.js';
export {
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChange,
  decodeConfChangeV2,
  encodeConfChange,
  encodeConfChangeV2,
} from './raft/conf-change.js';
export type { AnyConfChange, ConfChange, ConfChangeSingle, ConfChangeV2, JointTransition } from './raft/conf-change.js';
export { RoleName, StateType, StateTypeName } from './raft/ready.js';
export type { ReadState, Ready, SoftState } from './raft/ready.js';
export { MemoryStorage } from './raft/log-storage.js';
export type { InitialState, LogStorage, MemoryStorageOptions } from './raft/log-storage.js';
export type { RaftConfig, ReadOnlyOption } from './raft/config.js';
export { SeededRng } from './raft/rng.js';
export type { Rng } from './raft/rng.js';
export { silentLogger } from './raft/logger.js';
export type { Logger } from './raft/logger.js';
export { RaftNode } from './raft/raft-node.js';
export type { Peer, SnapshotStatus } from './raft/raft-node.js';
export { MessageRefusedError, RaftInvariantError } from './raft/errors.js';
export { MAX_INDEX, MAX_TERM, MAX_TERM_STEP, PEER_MESSAGE_RULES, TERM_SOFT_LIMIT, checkPeerMessage, termStepAllowed } from './raft/peer-message.js';
export type { PeerMessageLimits, PeerMessageRule } from './raft/peer-message.js';
export { validateConfig } from './raft/config.js';
export type { ResolvedConfig } from './raft/config.js';
export { mustSync } from './raft/ready.js';
export type { ProgressStatus, Status } from './raft/status.js';
export { asV2, enterJoint, isConfChangeV2, leaveJoint } from './raft/conf-change.js';
export {
  defaultDataFormatter,
  describeConfChangeV2,
  describeConfState,
  describeEntry,
  describeHardState,
  describeMessage,
  describeReady,
  describeSnapshot,
  describeSoftState,
} from './raft/describe.js';
export type { DataFormatter } from './raft/describe.js';
export { CodecError } from './codec/errors.js';
export { decodeEntry, decodeMessage, encodeEntry, encodeMessage, encodeMessageFrame } from './codec/message.js';
export {
  decodeConfState,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeConfState,
  encodeHardState,
  encodeSnapshotMetadata,
} from './codec/state.js';
export {
  decodeConfChangeRecord,
  decodeConfChangeV2Record,
  encodeConfChangeRecord,
  encodeConfChangeV2Record,
} from './codec/conf-change.js';
export { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_SIZE, FrameDecoder, encodeFrame } from './codec/frame.js';
export type { FrameOptions } from './codec/frame.js';
export { FORMAT_VERSION, RecordKind, RecordKindName, readRecordKind } from './codec/envelope.js';
export { NotOpenError } from './lifecycle.js';
export type { ResourceStatus } from './lifecycle.js';
export type { SaveRequest, SnapshotStreams, Storage, StorageCapabilities } from './storage/storage.js';
export { AbstractStorage, DEFAULT_SNAPSHOT_CHUNK_SIZE } from './storage/abstract-storage.js';
export { LevelStorage } from './storage/level-storage.js';
export { decodeSnapshotRef, encodeSnapshotRef, supportsSnapshotStaging } from './storage/snapshot-ref.js';
export type { SnapshotRef, SnapshotStaging, StagingStorage } from './storage/snapshot-ref.js';
export type {
  AnyLevel,
  LevelStorageBaseOptions,
  LevelStorageDbOptions,
  LevelStorageOptions,
  LevelStoragePathOptions,
  LevelStorageRecovery,
} from './storage/level-storage.js';
export { CorruptStorageError, StorageInvalidArgumentError, StorageOpenError } from './storage/errors.js';
export { DEFAULT_SEGMENT_SIZE, WalStorage } from './storage/wal/wal-storage.js';
export type { WalStorageOptions, WalStorageRecovery } from './storage/wal/wal-storage.js';
export { nodeWalFileSystem } from './storage/wal/wal-fs.js';
export type { WalFile, WalFileMode, WalFileSystem } from './storage/wal/wal-fs.js';
export { Replica } from './replica/replica.js';
export { forceNewCluster } from './replica/force-new-cluster.js';
export type { ForcedNewCluster } from './replica/force-new-cluster.js';
export { DEFAULT_MAX_REQUEST_BYTES } from './replica/options.js';
export type { ReplicaOptions, ReplicaStatus, RequestOptions } from './replica/options.js';
export type { Command, StateMachine, StateMachineSnapshot, StateMachineSnapshotStream } from './replica/state-machine.js';
export type { MemberChange } from './replica/joint-membership.js';
export type { ReplicaEvents } from './replica/events.js';
export type { PeerAddress } from './replica/membership.js';
export { systemClock } from './replica/clock.js';
export type { Cancel, Clock } from './replica/clock.js';
export {
  AbortedError,
  ApplyFailedError,
  InvalidArgumentError,
  MembershipRefusedError,
  NotLeaderError,
  ReplicaStartError,
  StateMachineBehindSnapshotError,
  RequestTooLargeError,
  StoppedError,
  TimeoutError,
  TooManyRequestsError,
} from './replica/errors.js';
export type { MetricJSON } from './replica/metrics.js';
export type { FailureReason } from './replica/proposals.js';
export { UNIDENTIFIED_PEER, emptyPeerStats } from './transport/transport.js';
export type { PeerStats, SnapshotSendStatus, Transport, TransportEvents } from './transport/transport.js';
export { AbstractTransport } from './transport/abstract-transport.js';
export type { TransportOptions } from './transport/abstract-transport.js';
export { ForwardingTransport } from './transport/forwarding-transport.js';
export { FrameRefusedError, ListenFailedError, PeerRefusedError, SendFailedError } from './transport/errors.js';
export type { FrameRefusalReason, PeerRefusalReason } from './transport/errors.js';
export { InProcessNetwork } from './transport/in-process.js';
export type { InProcessNetworkOptions, InProcessTransportOptions, LinkFaults, NetworkStats } from './transport/in-process.js';
export { InProcessTransport } from './transport/in-process-transport.js';
export { realTimerScheduler } from './transport/scheduler.js';
export type { Scheduler } from './transport/scheduler.js';
export { TcpTransport } from './transport/tcp.js';
export type { ListenAddress, TcpTransportOptions } from './transport/tcp.js';
export type { ReconnectOptions } from './transport/peer-link.js';
export { memberCertificateNames } from './transport/tls.js';
export type { MemberCertificateNames, Pem, TlsOptions, TlsPolicy } from './transport/tls.js';
