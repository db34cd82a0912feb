/**
 * Request and response shapes of `raftkit/kv`: etcd's `etcdserverpb`/`mvccpb` messages in
 * camelCase, so a gRPC front maps them one to one. Bytes are `Uint8Array` on output; inputs also
 * accept strings (UTF-8). Revisions, versions and TTLs are `number`s; lease, member and cluster
 * ids are `bigint`s (int64/uint64 in etcd). Lease id `0n` means "no lease".
 *
 * Enums are `as const` objects whose values are the proto enum numbers.
 */

/** Bytes as accepted on input: a `Uint8Array`, or a string encoded as UTF-8. */
export type Bytes = Uint8Array | string;

/** The order of a range's results (`RangeRequest.SortOrder`). */
export const SortOrder = {
  /** No sorting (keys ascending, as stored). */
  NONE: 0,
  /** Ascending. */
  ASCEND: 1,
  /** Descending. */
  DESCEND: 2,
} as const;
/** One of {@link SortOrder}'s values. */
export type SortOrder = (typeof SortOrder)[keyof typeof SortOrder];

/** The field a range's results are sorted by (`RangeRequest.SortTarget`). */
export const SortTarget = {
  /** The key. */
  KEY: 0,
  /** The version. */
  VERSION: 1,
  /** The create revision. */
  CREATE: 2,
  /** The mod revision. */
  MOD: 3,
  /** The value (bytewise). */
  VALUE: 4,
} as const;
/** One of {@link SortTarget}'s values. */
export type SortTarget = (typeof SortTarget)[keyof typeof SortTarget];

/** The relation a txn {@link Compare} checks (`Compare.CompareResult`). */
export const CompareResult = {
  /** The field equals the given value. */
  EQUAL: 0,
  /** The field is greater than the given value. */
  GREATER: 1,
  /** The field is less than the given value. */
  LESS: 2,
  /** The field differs from the given value. */
  NOT_EQUAL: 3,
} as const;
/** One of {@link CompareResult}'s values. */
export type CompareResult = (typeof CompareResult)[keyof typeof CompareResult];

/** The field of a key a txn {@link Compare} looks at (`Compare.CompareTarget`). */
export const CompareTarget = {
  /** `Compare.version`. */
  VERSION: 0,
  /** `Compare.createRevision`. */
  CREATE: 1,
  /** `Compare.modRevision`. */
  MOD: 2,
  /** `Compare.value`. */
  VALUE: 3,
  /** `Compare.lease`. */
  LEASE: 4,
} as const;
/** One of {@link CompareTarget}'s values. */
export type CompareTarget = (typeof CompareTarget)[keyof typeof CompareTarget];

/** The kind of a watch {@link Event} (`mvccpb.Event.EventType`). */
export const EventType = {
  /** A key was written. */
  PUT: 0,
  /** A key was deleted. */
  DELETE: 1,
} as const;
/** One of {@link EventType}'s values. */
export type EventType = (typeof EventType)[keyof typeof EventType];

/** A key and the state of its latest write at the revision read (`mvccpb.KeyValue`). */
export interface KeyValue {
  /** The key. */
  key: Uint8Array;
  /** The revision of the key's latest creation (0 for a deleted key in a DELETE event). */
  createRevision: number;
  /** The revision of the key's latest modification. */
  modRevision: number;
  /** The number of writes since the key's creation (1 after the first put; 0 when deleted). */
  version: number;
  /** The value (empty with `keysOnly`). */
  value: Uint8Array;
  /** The id of the lease attached to the key, or `0n`. */
  lease: bigint;
}

/** One change to a key (`mvccpb.Event`). */
export interface Event {
  /** PUT or DELETE. */
  type: EventType;
  /** The key after the change (for DELETE: key and `modRevision` only). */
  kv: KeyValue;
  /** The key before the change, when asked for and it existed. */
  prevKv?: KeyValue;
}

/**
 * An {@link Event} as the store hands it to its revision observers and a member's watchers: one
 * object (and one array of them per revision) shared by all of them, so none may change it, nor
 * its key-values (whose bytes are never to be written either).
 */
export interface ReadonlyEvent {
  /** PUT or DELETE. */
  readonly type: EventType;
  /** The key after the change (for DELETE: key and `modRevision` only). */
  readonly kv: Readonly<KeyValue>;
  /** The key before the change, when asked for and it existed. */
  readonly prevKv?: Readonly<KeyValue>;
}

/** The header of every response (`etcdserverpb.ResponseHeader`). */
export interface ResponseHeader {
  /** The id of the cluster that answered. */
  clusterId: bigint;
  /** The id of the member that answered. */
  memberId: bigint;
  /** The store's revision when the request was served. */
  revision: number;
  /** The Raft term of the member when the request was served. */
  raftTerm: number;
}

/** A range read (`etcdserverpb.RangeRequest`). */
export interface RangeRequest {
  /** The first key (or the only key when `rangeEnd` is empty). */
  key: Bytes;
  /** The end of the range, exclusive; empty = only `key`; `"\0"` = every key >= `key`. */
  rangeEnd?: Bytes;
  /** At most this many keys (0 = no limit). */
  limit?: number;
  /** Read at this revision (<= 0 = the current one). */
  revision?: number;
  /** The order of the results. */
  sortOrder?: SortOrder;
  /** The field the results are sorted by. */
  sortTarget?: SortTarget;
  /** Read the local state without a ReadIndex barrier. */
  serializable?: boolean;
  /** Return keys without values. */
  keysOnly?: boolean;
  /** Return only the count. */
  countOnly?: boolean;
  /** Only keys modified at or after this revision (0 = no filter). */
  minModRevision?: number;
  /** Only keys modified at or before this revision (0 = no filter). */
  maxModRevision?: number;
  /** Only keys created at or after this revision (0 = no filter). */
  minCreateRevision?: number;
  /** Only keys created at or before this revision (0 = no filter). */
  maxCreateRevision?: number;
}

/** The answer to a {@link RangeRequest}. */
export interface RangeResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The matching keys (none with `countOnly`). */
  kvs: KeyValue[];
  /** Whether more keys than returned match (the limit cut the result). */
  more: boolean;
  /** The number of keys in the range at the revision, before `limit` (see `more`). */
  count: number;
}

/** A write of one key (`etcdserverpb.PutRequest`). */
export interface PutRequest {
  /** The key. */
  key: Bytes;
  /** The value. */
  value?: Bytes;
  /** The lease to attach (0n = none). */
  lease?: bigint;
  /** Return the previous key-value. */
  prevKv?: boolean;
  /** Keep the current value (the key must exist). */
  ignoreValue?: boolean;
  /** Keep the current lease (the key must exist). */
  ignoreLease?: boolean;
}

/** The answer to a {@link PutRequest}. */
export interface PutResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The previous key-value, when asked for and the key existed. */
  prevKv?: KeyValue;
}

/** A delete of a key or range (`etcdserverpb.DeleteRangeRequest`). */
export interface DeleteRangeRequest {
  /** The first key (or the only key when `rangeEnd` is empty). */
  key: Bytes;
  /** The end of the range, exclusive (as in {@link RangeRequest}). */
  rangeEnd?: Bytes;
  /** Return the deleted key-values. */
  prevKv?: boolean;
}

/** The answer to a {@link DeleteRangeRequest}. */
export interface DeleteRangeResponse {
  /** The response header. */
  header: ResponseHeader;
  /** How many keys were deleted. */
  deleted: number;
  /** The deleted key-values, when asked for. */
  prevKvs: KeyValue[];
}

/**
 * A condition of a txn (`etcdserverpb.Compare`). Exactly the field named by `target` is read;
 * over a range (`rangeEnd`) every existing key in it must satisfy the condition.
 */
export interface Compare {
  /** The relation. */
  result: CompareResult;
  /** The field compared. */
  target: CompareTarget;
  /** The key (or the range start). */
  key: Bytes;
  /** The range end, as in {@link RangeRequest}. */
  rangeEnd?: Bytes;
  /** Compared when `target` is VERSION. */
  version?: number;
  /** Compared when `target` is CREATE. */
  createRevision?: number;
  /** Compared when `target` is MOD. */
  modRevision?: number;
  /** Compared when `target` is VALUE. */
  value?: Bytes;
  /** Compared when `target` is LEASE. */
  lease?: bigint;
}

/** One operation of a txn (`etcdserverpb.RequestOp`): exactly one field is set. */
export type RequestOp =
  | {
      /** A range read. */
      requestRange: RangeRequest;
    }
  | {
      /** A put. */
      requestPut: PutRequest;
    }
  | {
      /** A delete. */
      requestDeleteRange: DeleteRangeRequest;
    }
  | {
      /** A nested txn. */
      requestTxn: TxnRequest;
    };

/** The result of one txn operation (`etcdserverpb.ResponseOp`). */
export type ResponseOp =
  | {
      /** The range's answer. */
      responseRange: RangeResponse;
    }
  | {
      /** The put's answer. */
      responsePut: PutResponse;
    }
  | {
      /** The delete's answer. */
      responseDeleteRange: DeleteRangeResponse;
    }
  | {
      /** The nested txn's answer. */
      responseTxn: TxnResponse;
    };

/** A transaction (`etcdserverpb.TxnRequest`): if every compare holds, run `success`, else `failure`. */
export interface TxnRequest {
  /** The conditions (all must hold). */
  compare?: Compare[];
  /** The operations run when every condition holds. */
  success?: RequestOp[];
  /** The operations run otherwise. */
  failure?: RequestOp[];
}

/** The answer to a {@link TxnRequest}. */
export interface TxnResponse {
  /** The response header. */
  header: ResponseHeader;
  /** Whether every compare held (so `success` ran). */
  succeeded: boolean;
  /** One response per operation run, in order. */
  responses: ResponseOp[];
}

/** A compaction (`etcdserverpb.CompactionRequest`). */
export interface CompactionRequest {
  /** Discard history before this revision (it stays readable). */
  revision: number;
  /** Wait until the compaction is durable on disk before answering. */
  physical?: boolean;
}

/** The answer to a {@link CompactionRequest}. */
export interface CompactionResponse {
  /** The response header. */
  header: ResponseHeader;
}

/** A lease grant (`etcdserverpb.LeaseGrantRequest`). */
export interface LeaseGrantRequest {
  /** The time to live in seconds (raised to the minimum TTL). */
  ttl: number;
  /** The requested id (0n = chosen by the server). */
  id?: bigint;
}

/** The answer to a {@link LeaseGrantRequest}. */
export interface LeaseGrantResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The id of the lease. */
  id: bigint;
  /** The granted TTL in seconds. */
  ttl: number;
}

/** The answer to a lease revoke (`etcdserverpb.LeaseRevokeResponse`). */
export interface LeaseRevokeResponse {
  /** The response header. */
  header: ResponseHeader;
}
