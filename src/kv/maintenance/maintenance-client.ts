import type { AnyLevel } from '../../storage/level-load.js';
import type { KvClient } from '../kv-client.js';
import type { KvStateMachine } from '../kv-state-machine.js';
import type { ResponseHeader } from '../types.js';
import { CompactedRevisionError, FutureRevisionError } from '../errors.js';
import { hashKvRecords } from '../etcd-backend/kv-hash.js';
import { ALARM_NAMES } from '../alarms/alarm-table.js';
import { CorruptionChecker, DataInconsistencyError, type CorruptionCheckOptions, type CorruptionCheckReport } from './corruption-check.js';
import type { Cancel } from '../../replica/clock.js';
import { memberSnapshots, restoreMember, type RestoredMember, type RestoreOptions, type SnapshotStatus } from './snapshot-file.js';

/** The version `status()` reports: the etcd API version these shapes follow, tagged as raftkit's. */
export const KV_API_VERSION = '3.4.0-raftkit';

/** The answer to `status()` (`etcdserverpb.StatusResponse`). */
export interface StatusResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The server version. */
  version: string;
  /** The size of the database in bytes (on disk where the database can tell, else the bytes stored). */
  dbSize: number;
  /** The bytes the KV's live records take (keys and values). */
  dbSizeInUse: number;
  /** The leader's id (0n when none is known). */
  leader: bigint;
  /** The committed Raft index. */
  raftIndex: number;
  /** The Raft term. */
  raftTerm: number;
  /** The applied Raft index. */
  raftAppliedIndex: number;
  /** Active alarms, as text (`NOSPACE`). */
  errors: string[];
  /** Whether this member is a learner. */
  isLearner: boolean;
}

/** The answer to `hashKV(rev)` (`etcdserverpb.HashKVResponse`). */
export interface HashKVResponse {
  /** The response header. */
  header: ResponseHeader;
  /** etcd's HashKV hash of the MVCC history up to `hashRevision` (see {@link MaintenanceClient.hashKV}). */
  hash: number;
  /** The compacted revision (-1 before any compaction, as etcd). */
  compactRevision: number;
  /** The revision the hash covers up to. */
  hashRevision: number;
}

/** The answer to `defragment()`. */
export interface DefragmentResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The database size before, in bytes. */
  sizeBefore: number;
  /** The database size after, in bytes. */
  sizeAfter: number;
  /** How long it took, in seconds. */
  seconds: number;
}

type SizedLevel = AnyLevel & {
  approximateSize?: (start: Uint8Array, end: Uint8Array) => Promise<number>;
  compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void>;
};

const ALL_START = new Uint8Array(0);
const ALL_END = new Uint8Array(64).fill(0xff);

/** The database's size: LevelDB's approximate on-disk size, or the bytes of every record for databases that cannot tell. */
export async function databaseSize(db: AnyLevel): Promise<number> {
  const d = db as SizedLevel;
  if (typeof d.approximateSize === 'function') return d.approximateSize(ALL_START, ALL_END);
  let n = 0;
  for await (const [k, v] of db.iterator({ keyEncoding: 'view', valueEncoding: 'view' })) n += (k as Uint8Array).length + (v as Uint8Array).length;
  return n;
}

/**
 * The database size the KV reports (Status, `etcd_mvcc_db_total_size_in_bytes`, the space quota):
 * {@link databaseSize}, but never below the bytes in use, as LevelDB's approximate size counts only
 * its flushed tables and not what is still in its own log (a new member would report 0 bytes).
 */
export async function reportedDbSize(sm: KvStateMachine): Promise<number> {
  return Math.max(await databaseSize(sm.db), sm.dbSizeInUse);
}

/**
 * Maintenance of one member (etcd's `Maintenance` service): status, the MVCC hash used by
 * corruption checks, and defragmentation. Snapshots and alarms live in their own modules.
 */
export class MaintenanceClient {
  readonly #kv: KvClient;
  readonly #corruption: CorruptionChecker;

  /** @param kv - the member's client. */
  constructor(kv: KvClient) {
    this.#kv = kv;
    this.#corruption = new CorruptionChecker(kv, (rev) => this.hashKV(rev));
  }

  /**
   * etcd's corruption check of this member: proposes its {@link MaintenanceClient.hashKV} at its
   * current revision and waits until every other member has compared it with its own hash of
   * that revision (at most `options.timeoutMs`, default 7 s). Members that had compacted past
   * the revision, or differently, are reported as skipped; members that did not answer, as
   * unanswered.
   */
  checkCorruption(options: CorruptionCheckOptions = {}): Promise<CorruptionCheckReport> {
    return this.#corruption.check(options);
  }

  /**
   * etcd's `--experimental-initial-corrupt-check`, for a member that starts with data of its own,
   * before it serves clients: {@link MaintenanceClient.checkCorruption}, failing when any other
   * member's hash differs. Unanswered and skipped members do not fail it (as in etcd).
   *
   * @throws {@link DataInconsistencyError} ("<id> found data inconsistency with peers") when a
   * member's hash differs.
   */
  async initialCorruptCheck(options: CorruptionCheckOptions = {}): Promise<CorruptionCheckReport> {
    const r = await this.#corruption.check(options);
    if (r.mismatched.length > 0) throw new DataInconsistencyError(r);
    return r;
  }

  /**
   * etcd's `--experimental-corrupt-check-time`: while this member leads, a corruption check every
   * `intervalMs`, raising a `CORRUPT` alarm for each member whose hash differs from the leader's
   * (the alarm then refuses writes cluster-wide until disarmed). `onReport` gets each report and
   * each error. Returns the stopper.
   */
  startCorruptionChecks(intervalMs: number, onReport?: (r: CorruptionCheckReport | Error) => void): Cancel {
    return this.#corruption.startPeriodic(intervalMs, onReport);
  }

  /** This member's status (etcd's `Status`). */
  async status(): Promise<StatusResponse> {
    const kv = this.#kv;
    const s = kv.replica.status();
    const sm = kv.stateMachine;
    return {
      header: kv.header(sm.store.visibleRev),
      version: KV_API_VERSION,
      dbSize: await reportedDbSize(sm),
      dbSizeInUse: sm.dbSizeInUse,
      leader: BigInt(s.leader),
      raftIndex: s.commit,
      raftTerm: s.term,
      raftAppliedIndex: s.applied,
      errors: kv.alarms.active().map((a) => `memberID:${a.memberId} alarm:${ALARM_NAMES[a.alarm]}`),
      isLearner: s.config.learners.includes(kv.replica.id),
    };
  }

  /**
   * etcd's `HashKV`: the CRC-32C of the MVCC history up to `revision` (0 = the current one), as
   * etcd computes it over its `key` bucket (the revision key and the `mvccpb.KeyValue` protobuf of
   * each row, rows at or below the compaction counted when a compaction at `revision` would keep
   * them): members that applied the same history answer the same hash, and so does an etcd that
   * applied it, once its compaction has finished. etcd's corruption checks compare it between
   * members.
   *
   * @throws {@link CompactedRevisionError} when `revision` is at or below the compacted revision,
   * {@link FutureRevisionError} when it is above the current one (as etcd).
   */
  async hashKV(revision = 0): Promise<HashKVResponse> {
    const sm = this.#kv.stateMachine;
    const store = sm.store;
    const current = store.visibleRev;
    const compactRevision = store.compactRev;
    if (revision > 0 && revision <= compactRevision) throw new CompactedRevisionError();
    if (revision > current) throw new FutureRevisionError();
    const hashRevision = revision === 0 ? current : revision; // as etcd: a negative one hashes no row
    const scope = { revision: hashRevision, compactRevision, keep: store.keep(hashRevision), compacted: () => store.keep(compactRevision) };
    const started = performance.now();
    const hash = await store.trackRead(hashKvRecords(sm.revisionRecords(hashRevision), scope));
    this.#kv.metrics.hashRevDuration.observe((performance.now() - started) / 1000);
    return { header: this.#kv.header(current), hash, compactRevision, hashRevision };
  }

  /**
   * A point-in-time backup of this member's KV as a stream of etcd's snapshot file (a bbolt database followed by its sha256).
   *
   * @yields {Uint8Array} the file's bytes, in order.
   */
  async *snapshot(): AsyncGenerator<Uint8Array> {
    for await (const c of memberSnapshots(this.#kv).snapshot()) yield c.blob;
  }

  /** Writes {@link MaintenanceClient.snapshot} to a file (`etcdctl snapshot save`); resolves to its status. */
  saveSnapshot(path: string): Promise<SnapshotStatus> {
    return memberSnapshots(this.#kv).save(path);
  }

  /** Checks a backup file and reports its hash, revision, keys and size (`etcdctl snapshot status`). */
  snapshotStatus(file: string): Promise<SnapshotStatus> {
    return memberSnapshots(this.#kv).snapshotStatus(file);
  }

  /** Builds a new member's storage from a backup file (see `restoreMember`). */
  restore(file: string, options: RestoreOptions): Promise<RestoredMember> {
    return restoreMember(file, options);
  }

  /**
   * Reclaims space (etcd's `Defragment`): compacts the whole LevelDB key range, which rewrites
   * the tables without deleted records; a database without `compactRange` is left as is.
   */
  async defragment(): Promise<DefragmentResponse> {
    const sm = this.#kv.stateMachine;
    const db = sm.db as SizedLevel;
    const start = performance.now();
    const metrics = this.#kv.metrics;
    metrics.defragmenting++;
    let sizeBefore: number;
    let sizeAfter: number;
    try {
      sizeBefore = await databaseSize(db);
      if (typeof db.compactRange === 'function') await db.compactRange(ALL_START, ALL_END);
      sizeAfter = await databaseSize(db);
    } finally {
      metrics.defragmenting--;
    }
    const seconds = (performance.now() - start) / 1000;
    this.#kv.metrics.defragDuration.observe(seconds);
    return { header: this.#kv.header(sm.store.visibleRev), sizeBefore, sizeAfter, seconds };
  }
}

/** One member's answer to `hashKV`, for {@link findCorruptMembers}. */
export interface MemberHash {
  /** The member's id. */
  memberId: bigint;
  /** Its hash. */
  hash: number;
  /** The revision hashed. */
  hashRevision: number;
  /** The compacted revision it answered (-1 before any compaction). */
  compactRevision: number;
}

/**
 * etcd's corruption check on hashes gathered from every member at one revision: the members
 * whose hash differs from the majority's (for the same revision and compaction).
 */
export function findCorruptMembers(hashes: readonly MemberHash[]): bigint[] {
  const groups = new Map<string, MemberHash[]>();
  for (const h of hashes) {
    const k = `${h.hashRevision}:${h.compactRevision}:${h.hash}`;
    groups.set(k, [...(groups.get(k) ?? []), h]);
  }
  const majority = [...groups.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const ok = new Set(majority.map((h) => h.memberId));
  return hashes.filter((h) => !ok.has(h.memberId)).map((h) => h.memberId);
}
