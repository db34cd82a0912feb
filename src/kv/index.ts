/**
 * raftkit/kv: an MVCC key-value store with etcd v3 semantics on top of a raftkit `Replica`.
 *
 * @packageDocumentation
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
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.js';
export {
  CompactedRevisionError,
  DuplicateKeyError,
  EmptyKeyError,
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
