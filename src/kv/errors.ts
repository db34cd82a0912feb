import { RaftkitError } from '../errors.js';

/**
 * gRPC status codes (`google.golang.org/grpc/codes`) that etcd attaches to its errors, so a gRPC
 * front can answer with the same status as etcd.
 */
export const GrpcStatus = {
  /** InvalidArgument. */
  INVALID_ARGUMENT: 3,
  /** NotFound. */
  NOT_FOUND: 5,
  /** FailedPrecondition. */
  FAILED_PRECONDITION: 9,
  /** ResourceExhausted. */
  RESOURCE_EXHAUSTED: 8,
  /** OutOfRange. */
  OUT_OF_RANGE: 11,
  /** DataLoss. */
  DATA_LOSS: 15,
} as const;
/** One of {@link GrpcStatus}'s values. */
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/**
 * The base of every error of `raftkit/kv`'s data path. Its message is etcd's own text
 * (api/v3rpc/rpctypes), its `code` a stable `ERR_*` name, and `grpcStatus` the status etcd
 * answers with.
 */
export class KvError extends RaftkitError {
  /** The gRPC status code etcd uses for this error. */
  readonly grpcStatus: GrpcStatus;

  /**
   * @param code - the stable error code.
   * @param message - etcd's error text.
   * @param grpcStatus - etcd's gRPC status for it.
   */
  constructor(code: string, message: string, grpcStatus: GrpcStatus) {
    super(code, message);
    this.grpcStatus = grpcStatus;
  }
}

/** The revision read has been compacted away (the compacted revision itself stays readable). Code `ERR_COMPACTED`. */
export class CompactedRevisionError extends KvError {
  constructor() {
    super('ERR_COMPACTED', 'etcdserver: mvcc: required revision has been compacted', GrpcStatus.OUT_OF_RANGE);
  }
}

/** The revision read is above the store's current revision. Code `ERR_FUTURE_REV`. */
export class FutureRevisionError extends KvError {
  constructor() {
    super('ERR_FUTURE_REV', 'etcdserver: mvcc: required revision is a future revision', GrpcStatus.OUT_OF_RANGE);
  }
}

/** A request names no key. Code `ERR_EMPTY_KEY`. */
export class EmptyKeyError extends KvError {
  constructor() {
    super('ERR_EMPTY_KEY', 'etcdserver: key is not provided', GrpcStatus.INVALID_ARGUMENT);
  }
}

/** A put with `ignoreValue` or `ignoreLease` names a key that does not exist. Code `ERR_KEY_NOT_FOUND`. */
export class KeyNotFoundError extends KvError {
  constructor() {
    super('ERR_KEY_NOT_FOUND', 'etcdserver: key not found', GrpcStatus.INVALID_ARGUMENT);
  }
}

/** A put with `ignoreValue` also gives a value. Code `ERR_VALUE_PROVIDED`. */
export class ValueProvidedError extends KvError {
  constructor() {
    super('ERR_VALUE_PROVIDED', 'etcdserver: value is provided', GrpcStatus.INVALID_ARGUMENT);
  }
}

/** A put with `ignoreLease` also gives a lease. Code `ERR_LEASE_PROVIDED`. */
export class LeaseProvidedError extends KvError {
  constructor() {
    super('ERR_LEASE_PROVIDED', 'etcdserver: lease is provided', GrpcStatus.INVALID_ARGUMENT);
  }
}

/** A txn has more operations than the limit (128 by default, `maxTxnOps`). Code `ERR_TOO_MANY_OPS`. */
export class TooManyOpsError extends KvError {
  constructor() {
    super('ERR_TOO_MANY_OPS', 'etcdserver: too many operations in txn request', GrpcStatus.INVALID_ARGUMENT);
  }
}

/**
 * A watch's range holds no key: `rangeEnd` is set (not the single zero byte that means "every key
 * from `key` on") and is not above `key`. Its message is etcd's cancel reason. Code `ERR_EMPTY_WATCH_RANGE`.
 */
export class EmptyWatchRangeError extends KvError {
  constructor() {
    super('ERR_EMPTY_WATCH_RANGE', 'mvcc: watcher range is empty', GrpcStatus.INVALID_ARGUMENT);
  }
}

/** A txn writes one key twice (two puts, or a put inside a deleted range). Code `ERR_DUPLICATE_KEY`. */
export class DuplicateKeyError extends KvError {
  constructor() {
    super('ERR_DUPLICATE_KEY', 'etcdserver: duplicate key given in txn request', GrpcStatus.INVALID_ARGUMENT);
  }
}

/** The database exceeds its quota (a NOSPACE alarm is active); writes are refused. Code `ERR_NO_SPACE`. */
export class NoSpaceError extends KvError {
  constructor() {
    super('ERR_NO_SPACE', 'etcdserver: mvcc: database space exceeded', GrpcStatus.RESOURCE_EXHAUSTED);
  }
}

/**
 * A `CORRUPT` alarm is active: writes, compactions and lease grants and revokes are refused until
 * it is disarmed, as etcd refuses them. Code `ERR_CORRUPT`.
 */
export class CorruptClusterError extends KvError {
  constructor() {
    super('ERR_CORRUPT', 'etcdserver: corrupt cluster', GrpcStatus.DATA_LOSS);
  }
}

/** The lease named does not exist (never granted, revoked or expired). Code `ERR_LEASE_NOT_FOUND`. */
export class LeaseNotFoundError extends KvError {
  constructor() {
    super('ERR_LEASE_NOT_FOUND', 'etcdserver: requested lease not found', GrpcStatus.NOT_FOUND);
  }
}

/** A grant asks for an id that is already in use. Code `ERR_LEASE_EXIST`. */
export class LeaseExistsError extends KvError {
  constructor() {
    super('ERR_LEASE_EXIST', 'etcdserver: lease already exists', GrpcStatus.FAILED_PRECONDITION);
  }
}

/** A grant asks for a TTL above the maximum (9,000,000,000 s, as etcd). Code `ERR_LEASE_TTL_TOO_LARGE`. */
export class LeaseTtlTooLargeError extends KvError {
  constructor() {
    super('ERR_LEASE_TTL_TOO_LARGE', 'etcdserver: too large lease TTL', GrpcStatus.OUT_OF_RANGE);
  }
}

/** A grant or keep-alive gives a TTL of 0 or less where one is required. Code `ERR_TTL_ZERO`. */
export class TtlZeroError extends KvError {
  constructor() {
    super('ERR_TTL_ZERO', 'etcdserver: ttl is 0', GrpcStatus.INVALID_ARGUMENT);
  }
}

/**
 * A committed entry holds a KV command of a kind this build does not know: a newer build
 * proposed it. It is applied as a no-op (the kinds added so far change no state: corruption
 * checks) and counted in `raftkit_kv_unknown_commands_total`. Code `ERR_KV_UNKNOWN_COMMAND`.
 */
export class UnknownCommandError extends KvError {
  /** @param op - the command's op code. */
  constructor(op: number) {
    super('ERR_KV_UNKNOWN_COMMAND', `KV command op ${op} is unknown to this raftkit (an entry from a newer version); applied as a no-op`, GrpcStatus.FAILED_PRECONDITION);
  }
}
