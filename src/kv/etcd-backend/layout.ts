/**
 * etcd 3.4's backend layout: which buckets its bbolt file holds and what their keys and values
 * are (from etcd's mvcc/kvstore.go, backend buckets, etcdserver/cindex, membership/store.go,
 * lease/lessor.go, alarm/alarms.go, auth/store.go; checked against files `etcdctl snapshot save`
 * wrote). Buckets, in bbolt (name) order:
 * ```
 * alarm            key: etcdserverpb.AlarmMember protobuf          value: empty
 * auth             "authEnabled" -> 1 byte (absent = off); "authRevision" -> u64 big-endian
 * authRoles        role name -> authpb.Role (raftkit writes none)
 * authUsers        user name -> authpb.User (raftkit writes none)
 * cluster          "clusterVersion" -> e.g. "3.4.0" (major.minor.0)
 * key              revision key (revision.ts) -> mvccpb.KeyValue protobuf (proto.ts)
 * lease            lease id as u64 big-endian -> leasepb.Lease protobuf
 * members          member id in lower-case hex (no padding) -> JSON
 *                  {"id":<uint64>,"peerURLs":[...],"isLearner":true?,"name":"..","clientURLs":[..]?}
 * members_removed  member id in lower-case hex -> "removed"
 * meta             "consistent_index" -> u64 big-endian (the raft index last applied);
 *                  "term" -> u64 big-endian (etcd 3.5+ only; 3.4 ignores it);
 *                  "scheduledCompactRev", "finishedCompactRev" -> 17-byte revision {rev, 0}
 * ```
 * @module
 */

import { idKey } from '../record.js';

/** The buckets etcd 3.4 creates, in bbolt's (bytewise name) order. */
export const ETCD_BUCKETS = ['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta'] as const;
/** An etcd bucket name. */
export type EtcdBucket = (typeof ETCD_BUCKETS)[number];

/** Keys of the `meta` bucket. */
export const MetaKey = {
  CONSISTENT_INDEX: 'consistent_index',
  TERM: 'term',
  SCHEDULED_COMPACT: 'scheduledCompactRev',
  FINISHED_COMPACT: 'finishedCompactRev',
} as const;

/** Key of the cluster version in the `cluster` bucket. */
export const CLUSTER_VERSION_KEY = 'clusterVersion';
/** Key of the auth revision in the `auth` bucket. */
export const AUTH_REVISION_KEY = 'authRevision';
/** Value stored for each id in `members_removed`. */
export const REMOVED_VALUE = 'removed';

/** A cluster member as stored in the `members` bucket. */
export interface StoredMember {
  /** Member id. */
  readonly id: bigint;
  /** Peer URLs. */
  readonly peerURLs: readonly string[];
  /** Whether the member is a learner. */
  readonly isLearner: boolean;
  /** Member name ('' if not yet published). */
  readonly name: string;
  /** Client URLs (empty if not yet published). */
  readonly clientURLs: readonly string[];
}

/** Encodes a u64 as 8 bytes big-endian (consistent_index, term, lease ids, authRevision). */
export function u64be(v: bigint | number): Uint8Array {
  return idKey(BigInt(v));
}

/** Decodes 8 bytes big-endian, or `null` if `b` is not 8 bytes long. */
export function readU64be(b: Uint8Array): bigint | null {
  if (b.length !== 8) return null;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false);
}

/** The `members` key of a member: its id in lower-case hex (Go's types.ID.String). */
export function memberKey(id: bigint): string {
  return id.toString(16);
}

/**
 * Encodes a member the way Go's encoding/json marshals etcd's Member: the id as a bare uint64
 * number (above 2^53, so it is written from the bigint), `isLearner` only when true, `name` and
 * `clientURLs` only when non-empty (their `omitempty` tags).
 */
export function encodeMember(m: StoredMember): string {
  let s = `{"id":${m.id.toString()},"peerURLs":${JSON.stringify(m.peerURLs)}`;
  if (m.isLearner) s += ',"isLearner":true';
  if (m.name !== '') s += `,"name":${JSON.stringify(m.name)}`;
  if (m.clientURLs.length > 0) s += `,"clientURLs":${JSON.stringify(m.clientURLs)}`;
  return s + '}';
}

/** Decodes a `members` entry; the id comes from the hex key, since JSON numbers lose uint64 precision. */
export function decodeMember(key: string, json: string): StoredMember {
  const v = JSON.parse(json) as { peerURLs?: string[]; isLearner?: boolean; name?: string; clientURLs?: string[] };
  return { id: BigInt(`0x${key}`), peerURLs: v.peerURLs ?? [], isLearner: v.isLearner ?? false, name: v.name ?? '', clientURLs: v.clientURLs ?? [] };
}
