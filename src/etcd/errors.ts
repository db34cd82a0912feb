import { status as Status, type StatusObject } from '@grpc/grpc-js';
import { RaftkitError } from '../errors.js';

/**
 * etcd's server-side gRPC errors (api/v3rpc/rpctypes), by name: the status code and the exact
 * message, which clients (etcdctl, clientv3, the etcd3 npm client) match on.
 */
export const EtcdErrors = {
  /** INVALID_ARGUMENT: "etcdserver: key is not provided". */
  emptyKey: [Status.INVALID_ARGUMENT, 'etcdserver: key is not provided'],
  /** INVALID_ARGUMENT: "etcdserver: key not found". */
  keyNotFound: [Status.INVALID_ARGUMENT, 'etcdserver: key not found'],
  /** INVALID_ARGUMENT: "etcdserver: value is provided". */
  valueProvided: [Status.INVALID_ARGUMENT, 'etcdserver: value is provided'],
  /** INVALID_ARGUMENT: "etcdserver: lease is provided". */
  leaseProvided: [Status.INVALID_ARGUMENT, 'etcdserver: lease is provided'],
  /** INVALID_ARGUMENT: "etcdserver: ttl is 0". */
  ttlZero: [Status.INVALID_ARGUMENT, 'etcdserver: ttl is 0'],
  /** INVALID_ARGUMENT: "etcdserver: too many operations in txn request". */
  tooManyOps: [Status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'],
  /** INVALID_ARGUMENT: "etcdserver: duplicate key given in txn request". */
  duplicateKey: [Status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'],
  /** OUT_OF_RANGE: "etcdserver: mvcc: required revision has been compacted". */
  compacted: [Status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
  /** OUT_OF_RANGE: "etcdserver: mvcc: required revision is a future revision". */
  futureRev: [Status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'],
  /** RESOURCE_EXHAUSTED: "etcdserver: mvcc: database space exceeded". */
  noSpace: [Status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'],
  /** NOT_FOUND: "etcdserver: requested lease not found". */
  leaseNotFound: [Status.NOT_FOUND, 'etcdserver: requested lease not found'],
  /** FAILED_PRECONDITION: "etcdserver: lease already exists". */
  leaseExist: [Status.FAILED_PRECONDITION, 'etcdserver: lease already exists'],
  /** OUT_OF_RANGE: "etcdserver: too large lease TTL". */
  leaseTtlTooLarge: [Status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'],
  /** FAILED_PRECONDITION: "etcdserver: member ID already exist". */
  memberExist: [Status.FAILED_PRECONDITION, 'etcdserver: member ID already exist'],
  /** FAILED_PRECONDITION: "etcdserver: Peer URLs already exists". */
  peerUrlExist: [Status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'],
  /** FAILED_PRECONDITION: "etcdserver: re-configuration failed due to not enough started members". */
  memberNotEnoughStarted: [Status.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'],
  /** INVALID_ARGUMENT: "etcdserver: given member URLs are invalid". */
  memberBadUrls: [Status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'],
  /** NOT_FOUND: "etcdserver: member not found". */
  memberNotFound: [Status.NOT_FOUND, 'etcdserver: member not found'],
  /** FAILED_PRECONDITION: "etcdserver: can only promote a learner member". */
  memberNotLearner: [Status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'],
  /** FAILED_PRECONDITION: "etcdserver: can only promote a learner member which is in sync with leader". */
  learnerNotReady: [Status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'],
  /** FAILED_PRECONDITION: "etcdserver: too many learner members in cluster". */
  tooManyLearners: [Status.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'],
  /** INVALID_ARGUMENT: "etcdserver: request is too large". */
  requestTooLarge: [Status.INVALID_ARGUMENT, 'etcdserver: request is too large'],
  /** RESOURCE_EXHAUSTED: "etcdserver: too many requests". */
  tooManyRequests: [Status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
  /** FAILED_PRECONDITION: "etcdserver: authentication is not enabled". */
  authNotEnabled: [Status.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'],
  /** UNAVAILABLE: "etcdserver: no leader". */
  noLeader: [Status.UNAVAILABLE, 'etcdserver: no leader'],
  /** FAILED_PRECONDITION: "etcdserver: not leader". */
  notLeader: [Status.FAILED_PRECONDITION, 'etcdserver: not leader'],
  /** UNAVAILABLE: "etcdserver: leader changed". */
  leaderChanged: [Status.UNAVAILABLE, 'etcdserver: leader changed'],
  /** UNAVAILABLE: "etcdserver: not capable". */
  notCapable: [Status.UNAVAILABLE, 'etcdserver: not capable'],
  /** UNAVAILABLE: "etcdserver: server stopped". */
  stopped: [Status.UNAVAILABLE, 'etcdserver: server stopped'],
  /** CANCELLED: "etcdserver: request canceled". */
  canceled: [Status.CANCELLED, 'etcdserver: request canceled'],
  /** UNAVAILABLE: "etcdserver: request timed out". */
  timeout: [Status.UNAVAILABLE, 'etcdserver: request timed out'],
  /** UNAVAILABLE: "etcdserver: request timed out, possibly due to previous leader failure". */
  timeoutDueToLeaderFail: [Status.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'],
  /** UNAVAILABLE: "etcdserver: unhealthy cluster". */
  unhealthy: [Status.UNAVAILABLE, 'etcdserver: unhealthy cluster'],
  /** DATA_LOSS: "etcdserver: corrupt cluster". */
  corrupt: [Status.DATA_LOSS, 'etcdserver: corrupt cluster'],
  /** UNAVAILABLE: "etcdserver: rpc not supported for learner". */
  notSupportedForLearner: [Status.UNAVAILABLE, 'etcdserver: rpc not supported for learner'],
  /** FAILED_PRECONDITION: "etcdserver: bad leader transferee". */
  badLeaderTransferee: [Status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'],
} as const satisfies Record<string, readonly [Status, string]>;

/** The name of one of {@link EtcdErrors}. */
export type EtcdErrorName = keyof typeof EtcdErrors;

/** A gRPC error as `@grpc/grpc-js` handlers pass it to their callback or `emit('error')`. */
export interface GrpcError extends Error, Partial<Omit<StatusObject, 'code'>> {
  /** The gRPC status code. */
  code: Status;
}

/** The gRPC error etcd answers with for `name`. */
export function etcdError(name: EtcdErrorName): GrpcError {
  const [code, details] = EtcdErrors[name];
  return Object.assign(new Error(details), { code, details });
}

/** A gRPC error with a status code and message of raftkit's own (for cases etcd has no error for). */
export function grpcError(code: Status, details: string): GrpcError {
  return Object.assign(new Error(details), { code, details });
}

// raftkit's stable error codes (replica, raft, kv) and the etcd error each one is answered with.
const BY_CODE: Record<string, EtcdErrorName> = {
  ERR_PROPOSAL_DROPPED: 'noLeader',
  ERR_TIMEOUT: 'timeout',
  ERR_ABORTED: 'canceled',
  ERR_STOPPED: 'stopped',
  ERR_TOO_MANY_REQUESTS: 'tooManyRequests',
  ERR_REQUEST_TOO_LARGE: 'requestTooLarge',
  ERR_APPLY_FAILED: 'stopped',
  ERR_COMPACTED: 'compacted',
  ERR_FUTURE_REV: 'futureRev',
  ERR_EMPTY_KEY: 'emptyKey',
  ERR_KEY_NOT_FOUND: 'keyNotFound',
  ERR_VALUE_PROVIDED: 'valueProvided',
  ERR_LEASE_PROVIDED: 'leaseProvided',
  ERR_TOO_MANY_OPS: 'tooManyOps',
  ERR_DUPLICATE_KEY: 'duplicateKey',
  ERR_NO_SPACE: 'noSpace',
  ERR_LEASE_NOT_FOUND: 'leaseNotFound',
  ERR_LEASE_EXIST: 'leaseExist',
  ERR_LEASE_TTL_TOO_LARGE: 'leaseTtlTooLarge',
  ERR_TTL_ZERO: 'ttlZero',
  ERR_CORRUPT: 'corrupt',
};

/** The gRPC status with number `n` (UNKNOWN when `n` is not one). */
function statusOf(n: number): Status {
  return (Object.values(Status) as unknown[]).find((v): v is Status => v === n) ?? Status.UNKNOWN;
}

/**
 * The gRPC error to answer `err` with: the etcd error matching a raftkit error code (a
 * `NotLeaderError` without a known leader is etcd's "no leader"), an error that already carries a
 * gRPC status (`code` number and `details`) as is, and anything else as `UNKNOWN` with its message.
 */
export function toGrpcError(err: unknown): GrpcError {
  if (err instanceof RaftkitError) {
    if (err.code === 'ERR_NOT_LEADER') return etcdError((err as RaftkitError & { leader?: number }).leader === 0 ? 'noLeader' : 'notLeader');
    const name = BY_CODE[err.code];
    if (name !== undefined) return etcdError(name);
    const grpcStatus = (err as RaftkitError & { grpcStatus?: unknown }).grpcStatus;
    if (typeof grpcStatus === 'number') return grpcError(statusOf(grpcStatus), err.message);
    return grpcError(Status.UNKNOWN, err.message);
  }
  if (err instanceof Error && typeof (err as Partial<GrpcError>).code === 'number') return err as GrpcError;
  return grpcError(Status.UNKNOWN, err instanceof Error ? err.message : String(err));
}
