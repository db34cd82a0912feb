/**
 * The bridge between raftkit's KV records (kv/backend.ts: etcd's revision keys with msgpack
 * key-values, 8-byte lease keys) and etcd's backend rows (protobuf): a raftkit KV state becomes an
 * {@link EtcdBackendSource} streamed straight from its database, and etcd's rows become records
 * {@link KvBackend.replace} accepts.
 *
 * Fields that differ: raftkit stores a tombstone's `modRevision` (its revision) while etcd stores
 * only the key; it is restored from the revision key. etcd's `auth*` buckets carry no raftkit
 * state (raftkit has no auth), and `meta/consistent_index` is the raft index the caller gives.
 * @module
 */
import type { AnyLevel } from '../../storage/level-load.js';
import { KvBackend } from '../backend.js';
import { decodeRevision, encodeRevision } from '../mvcc/revision.js';
import { decodeKv, decodeLease as decodeKvLease, encodeKv, encodeLease as encodeKvLease, idKey, leaseIdOf } from '../record.js';
import type { EtcdBackendSource, StoredRevision } from './backend-writer.js';
import type { StoredMember } from './layout.js';
import type { StoredAlarm, StoredLease } from './proto.js';

/** Where a raftkit KV keeps its records: the database and sublevel name a `KvStateMachine` was given. */
export interface KvLocation {
  /** The database (a `LevelStorage`'s `db`, or the one passed as `db`). */
  readonly db: AnyLevel;
  /** The KV's sublevel name. Default `'kv'` (KvStateMachine's default). */
  readonly name?: string;
}

/** Cluster facts an etcd backend records that the KV records do not hold. */
export interface ClusterFacts {
  /** Raft index of the state (`meta/consistent_index`). Default 0n. */
  readonly consistentIndex?: bigint;
  /** Raft term of that index (`meta/term`, read by etcd 3.5+). Omitted by default (etcd 3.4 writes none). */
  readonly term?: bigint;
  /** Members (etcd's `members` bucket). Default none. */
  readonly members?: readonly StoredMember[];
  /** Cluster version (etcd's `cluster` bucket). Default `'3.4.0'`. */
  readonly clusterVersion?: string;
  /** Raised alarms. Default none. */
  readonly alarms?: readonly StoredAlarm[];
}

async function* revisionsOf(backend: KvBackend, upTo: number): AsyncGenerator<StoredRevision> {
  for await (const [k, v] of backend.revisions()) {
    const { rev, tombstone } = decodeRevision(k);
    if (rev.main > upTo) return;
    yield { rev, tombstone, kv: decodeKv(v) };
  }
}

/**
 * An {@link EtcdBackendSource} over the KV records at `at`, read as a stream. Leases and the
 * compaction mark are read first, then the revisions up to `revision` (the store revision the
 * snapshot stands for; rows written after it are left out, so the file is one point in time).
 */
export async function kvBackendSource(at: KvLocation, revision: number, facts: ClusterFacts = {}): Promise<EtcdBackendSource> {
  const backend = new KvBackend(at.db, at.name ?? 'kv');
  await backend.open();
  const leases: StoredLease[] = [];
  for await (const [k, v] of backend.leaseRecords()) {
    const l = decodeKvLease(v);
    leases.push({ id: leaseIdOf(k), ttl: l.ttl, remainingTtl: l.remainingTtl });
  }
  const compact = (await backend.compaction()) ?? 0;
  return {
    revisions: revisionsOf(backend, revision),
    leases,
    consistentIndex: facts.consistentIndex ?? 0n,
    ...(facts.term === undefined ? {} : { term: facts.term }),
    scheduledCompactRevision: compact,
    finishedCompactRevision: compact,
    members: facts.members ?? [],
    removedMembers: [],
    clusterVersion: facts.clusterVersion ?? '3.4.0',
    alarms: facts.alarms ?? [],
  };
}

/** A `key` bucket row as a raftkit revision record `[revision key, msgpack key-value]`. */
export function kvRecordOf(r: StoredRevision): [Uint8Array, Uint8Array] {
  const kv = r.tombstone ? { key: r.kv.key, createRevision: 0, modRevision: r.rev.main, version: 0, value: new Uint8Array(0), lease: 0n } : r.kv;
  return [encodeRevision(r.rev, r.tombstone), encodeKv(kv)];
}

/** An etcd lease as a raftkit lease record `[8-byte id, msgpack [ttl, remainingTtl]]`. */
export function leaseRecordOf(l: StoredLease): [Uint8Array, Uint8Array] {
  return [idKey(l.id), encodeKvLease(l.ttl, l.remainingTtl)];
}
