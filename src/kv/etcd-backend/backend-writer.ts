/**
 * Writes an etcd 3.4 backend database (layout.ts) with the bbolt writer: the revision stream goes
 * straight into the `key` bucket, so the file is built without holding the keyspace in memory.
 * @module
 */
import { writeBoltFile } from '../bbolt/writer.js';
import type { BoltBucketSource, BoltEntry, BoltWriteResult } from '../bbolt/writer.js';
import { encodeAlarm, encodeKeyValue, encodeLease } from './proto.js';
import type { StoredAlarm, StoredKeyValue, StoredLease } from './proto.js';
import { AUTH_REVISION_KEY, CLUSTER_VERSION_KEY, MetaKey, REMOVED_VALUE, encodeMember, memberKey, u64be } from './layout.js';
import type { StoredMember } from './layout.js';
import { encodeRevKey } from './revision.js';
import type { Revision } from '../mvcc/revision.js';

/** One row of the `key` bucket: a revision and the KeyValue written at it. */
export interface StoredRevision {
  /** The revision `{main, sub}`. */
  readonly rev: Revision;
  /** True for a delete: the row then holds a KeyValue with only the key. */
  readonly tombstone: boolean;
  /** The KeyValue (for a tombstone, only `key` is stored). */
  readonly kv: StoredKeyValue;
}

/** Everything an etcd backend file holds, as {@link writeEtcdBackend} takes it. */
export interface EtcdBackendSource {
  /** The `key` bucket rows in ascending revision order. */
  readonly revisions: AsyncIterable<StoredRevision> | Iterable<StoredRevision>;
  /** Live leases (any order). */
  readonly leases: readonly StoredLease[];
  /** Raft index last applied (`meta/consistent_index`). */
  readonly consistentIndex: bigint;
  /** Raft term of that index; written as `meta/term` (read by etcd 3.5+) when given. */
  readonly term?: bigint;
  /** Compaction revision scheduled (`meta/scheduledCompactRev`); 0 = none. */
  readonly scheduledCompactRevision: number;
  /** Compaction revision finished (`meta/finishedCompactRev`); 0 = none. */
  readonly finishedCompactRevision: number;
  /** Cluster members. */
  readonly members: readonly StoredMember[];
  /** Ids of removed members. */
  readonly removedMembers: readonly bigint[];
  /** Cluster version, e.g. `'3.4.0'`; omitted when empty. */
  readonly clusterVersion: string;
  /** Raised alarms. */
  readonly alarms: readonly StoredAlarm[];
}

const enc = new TextEncoder();
const text = (s: string): Uint8Array => enc.encode(s);

function sorted(entries: BoltEntry[]): BoltEntry[] {
  return entries.sort((a, b) => Buffer.compare(a.key, b.key));
}

/** A `key` bucket row as etcd stores it: the revision key (`t`-marked for a delete) and the KeyValue's protobuf (only the key for a delete). */
export function etcdKeyRow(r: StoredRevision): BoltEntry {
  const kv = r.tombstone ? { key: r.kv.key, createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0), lease: 0n } : r.kv;
  return { key: encodeRevKey(r.rev, r.tombstone), value: encodeKeyValue(kv) };
}

/** The `key` bucket rows, staying synchronous when the source is (async steps per row are costly). */
function keyRows(revs: AsyncIterable<StoredRevision> | Iterable<StoredRevision>): AsyncIterable<BoltEntry> | Iterable<BoltEntry> {
  if (Symbol.iterator in revs) {
    return (function* () {
      for (const r of revs) yield etcdKeyRow(r);
    })();
  }
  return (async function* () {
    for await (const r of revs) yield etcdKeyRow(r);
  })();
}

function metaRows(src: EtcdBackendSource): BoltEntry[] {
  const rows: BoltEntry[] = [{ key: text(MetaKey.CONSISTENT_INDEX), value: u64be(src.consistentIndex) }];
  if (src.term !== undefined) rows.push({ key: text(MetaKey.TERM), value: u64be(src.term) });
  if (src.scheduledCompactRevision > 0) rows.push({ key: text(MetaKey.SCHEDULED_COMPACT), value: encodeRevKey({ main: src.scheduledCompactRevision, sub: 0 }) });
  if (src.finishedCompactRevision > 0) rows.push({ key: text(MetaKey.FINISHED_COMPACT), value: encodeRevKey({ main: src.finishedCompactRevision, sub: 0 }) });
  return sorted(rows);
}

/** The bucket sources of an etcd backend, in bbolt name order. */
export function etcdBuckets(src: EtcdBackendSource): BoltBucketSource[] {
  return [
    { name: 'alarm', entries: sorted(src.alarms.map((a) => ({ key: encodeAlarm(a), value: new Uint8Array(0) }))) },
    { name: 'auth', entries: [{ key: text(AUTH_REVISION_KEY), value: u64be(1) }] },
    { name: 'authRoles', entries: [] },
    { name: 'authUsers', entries: [] },
    { name: 'cluster', entries: src.clusterVersion === '' ? [] : [{ key: text(CLUSTER_VERSION_KEY), value: text(src.clusterVersion) }] },
    { name: 'key', entries: keyRows(src.revisions) },
    { name: 'lease', entries: sorted(src.leases.map((l) => ({ key: u64be(l.id), value: encodeLease(l) }))) },
    { name: 'members', entries: sorted(src.members.map((m) => ({ key: text(memberKey(m.id)), value: text(encodeMember(m)) }))) },
    { name: 'members_removed', entries: sorted(src.removedMembers.map((id) => ({ key: text(memberKey(id)), value: text(REMOVED_VALUE) }))) },
    { name: 'meta', entries: metaRows(src) },
  ];
}

/** Writes `src` as an etcd backend (bbolt) file at `path`. */
export async function writeEtcdBackend(path: string, src: EtcdBackendSource): Promise<BoltWriteResult> {
  return writeBoltFile(path, etcdBuckets(src));
}
