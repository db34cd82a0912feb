/**
 * The snapshot part of a member's maintenance API, over etcd's snapshot files: `snapshot()` is
 * etcd's Maintenance.Snapshot stream, `save(path)` is what `etcdctl snapshot save` stores,
 * `snapshotStatus(file)` is `etcdctl snapshot status`, and `restore(file, target)` prepares a new
 * member's KV from raftkit's or etcd's files.
 * @module
 */
import type { Replica } from '../../replica/replica.js';
import type { KvStateMachine } from '../kv-state-machine.js';
import type { StoredMember } from './layout.js';
import type { ClusterFacts, KvLocation } from './kv-records.js';
import { kvBackendSource } from './kv-records.js';
import { restoreSnapshot } from './restore.js';
import { hashEtcdBackend } from './backend-hash.js';
import type { EtcdBackendSource } from './backend-writer.js';
import type { RestoreSummary } from './restore.js';
import { snapshotChunks, writeSnapshotChunks } from './snapshot-stream.js';
import type { SnapshotChunk } from './snapshot-stream.js';
import { snapshotStatus } from './status.js';
import type { SnapshotStatus } from './status.js';

/** Options of {@link KvSnapshots}. */
export interface KvSnapshotsOptions {
  /**
   * Members, cluster version and alarms to record in snapshots (the etcd front knows members'
   * etcd ids, names and client URLs). Default: the replica's members, id as member id, address as
   * the one peer URL, no name; the state machine's raised alarms.
   */
  readonly facts?: () => ClusterFacts;
  /** Where snapshot files are built before streaming. Default: the OS temp dir. */
  readonly tmpDir?: string;
}

/** The answer of {@link KvSnapshots.hash}. */
export interface BackendHash {
  /** The CRC-32C of the backend. */
  hash: number;
  /** The store revision the backend holds. */
  revision: number;
}

/** Snapshot maintenance of one member running a `KvStateMachine`. */
export class KvSnapshots {
  private readonly replica: Replica;
  private readonly kv: KvStateMachine;
  private readonly location: KvLocation;
  private readonly options: KvSnapshotsOptions;

  /**
   * @param replica - the member.
   * @param kv - its KV state machine.
   * @param location - the database and sublevel name the state machine was given. Default: its `db`, sublevel `'kv'`.
   * @param options - facts recorded and the temp dir.
   */
  constructor(replica: Replica, kv: KvStateMachine, location: KvLocation = { db: kv.db }, options: KvSnapshotsOptions = {}) {
    this.replica = replica;
    this.kv = kv;
    this.location = location;
    this.options = options;
  }

  /**
   * etcd's Maintenance.Snapshot: the member's KV as an etcd backend file, at the revision visible
   * when called.
   * @yields {SnapshotChunk} 32 KiB chunks, then the sha256 of all of them.
   */
  async *snapshot(): AsyncGenerator<SnapshotChunk> {
    await this.kv.ready();
    const source = await this.source(this.kv.store.visibleRev);
    yield* snapshotChunks(source, this.options.tmpDir === undefined ? {} : { tmpDir: this.options.tmpDir });
  }

  /**
   * etcd's Maintenance.Hash: the CRC-32C (Castagnoli) of this member's backend as
   * {@link KvSnapshots.snapshot} would write it (every bucket's name, then its keys and values in
   * bbolt order), `meta/consistent_index` and `meta/term` left out as etcd's `DefaultIgnores`
   * does, and the revision it covers.
   */
  async hash(): Promise<BackendHash> {
    await this.kv.ready();
    const revision = this.kv.store.visibleRev;
    return { hash: await hashEtcdBackend(await this.source(revision)), revision };
  }

  private async source(revision: number): Promise<EtcdBackendSource> {
    await this.kv.flush(); // the file is read from the database: every queued batch first
    const status = this.replica.status();
    const facts = this.options.facts?.() ?? { members: defaultMembers(status.members), alarms: this.kv.alarms.list().map((a) => ({ memberId: a.memberId, alarm: a.alarm })) };
    return kvBackendSource(this.location, revision, { consistentIndex: BigInt(status.applied), ...facts });
  }

  /** Writes {@link snapshot} to `path` (as `etcdctl snapshot save` does) and returns its status. */
  async save(path: string): Promise<SnapshotStatus> {
    await writeSnapshotChunks(path, this.snapshot());
    return snapshotStatus(path);
  }

  /** `etcdctl snapshot status` of a file. */
  snapshotStatus(file: string): Promise<SnapshotStatus> {
    return snapshotStatus(file);
  }

  /** Restores `file` into a new member's KV at `target` (see {@link restoreSnapshot}). */
  restore(file: string, target: KvLocation): Promise<RestoreSummary> {
    return restoreSnapshot(file, target);
  }
}

function defaultMembers(members: ReadonlyMap<number, string>): StoredMember[] {
  return [...members].map(([id, address]) => ({ id: BigInt(id), peerURLs: [address], isLearner: false, name: '', clientURLs: [] }));
}
