/**
 * raftkit: a pure, deterministic Raft consensus core with etcd's Ready/step API.
 *
 * @packageDocumentation
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
export { StateType, StateTypeName } from './raft/ready.js';
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
export { RaftInvariantError } from './raft/errors.js';
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
export type { Storage, SaveRequest } from './storage/storage.js';
export type { ResourceStatus } from './lifecycle.js';
export type { PeerStats, Transport, TransportEvents } from './transport/transport.js';
