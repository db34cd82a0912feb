import type { AbstractBatchOptions } from 'abstract-level';
import type { AnyLevel, BytesSublevel } from '../storage/level-load.js';
import { pooledBytes } from '../codec/binary.js';
import { compareBytes, toKey } from './mvcc/bytes.js';
import { KeyIndex } from './mvcc/key-index.js';
import { decodeRevision, encodeRevision, writeU64 } from './mvcc/revision.js';
import type { Revision } from './mvcc/revision.js';
import type { Change, MvccStore } from './mvcc/store.js';
import { revKey } from './mvcc/store.js';
import { decodeKv, decodeLease, encodeKv, encodeLease, idKey, idOfKey, leaseIdOf } from './record.js';
import type { KvSnapshotItem } from './snapshot-format.js';
import { recordView, type BackendView, type ViewOptions } from './backend-view.js';
import type { KeyValue } from './types.js';
import type { AlarmMember, AlarmType } from './alarms/alarm-table.js';
import { WriteQueue } from './write-queue.js';
import type { PendingRecord, WriteQueueOptions } from './write-queue.js';
import { decodeMemberAttrs, encodeMemberAttrs, type MemberAttributes } from './cluster/member-attrs.js';

const META_APPLIED = new Uint8Array([0x61]); // 'a': the state machine's applied index
const META_COMPACT_SCHEDULED = new Uint8Array([0x63]); // 'c': the latest compaction revision applied
const META_COMPACT_FINISHED = new Uint8Array([0x66]); // 'f': the latest compaction done physically

const u64 = (n: number): Uint8Array => {
  const out = new Uint8Array(8);
  writeU64(out, 0, n);
  return out;
};
const readU64 = (b: Uint8Array | undefined): number | undefined => (b === undefined ? undefined : Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0)));

/**
 * Where an operation goes (one object per sublevel, made once): the options of a chained batch's
 * put or del naming the sublevel, and the sublevel's key prefix within the parent database.
 */
type Into = { readonly options: { readonly sublevel: BytesSublevel }; readonly prefix: Uint8Array };
type Op = { type: 'put'; into: Into; key: Uint8Array; value: Uint8Array } | { type: 'del'; into: Into; key: Uint8Array };
/** The revision records queued (applied, not yet written) above which `apply` waits for the write in flight. */
export const MAX_QUEUED_RECORDS = 50_000;
const SYNC = { sync: true } as AbstractBatchOptions<Uint8Array, Uint8Array>;

/** `prefix` followed by `key`, in a new array: carved from the shared byte pool when `pooled`. */
function prefixed(prefix: Uint8Array, key: Uint8Array, pooled: boolean): Uint8Array {
  const n = prefix.length + key.length;
  const out = pooled ? pooledBytes(n) : new Uint8Array(n);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

/** An alarm record's key: the member id (8 bytes, big-endian) and the alarm type (1 byte). */
export function alarmKey(a: AlarmMember): Uint8Array {
  const out = new Uint8Array(9);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, a.memberId));
  view.setUint8(8, a.alarm);
  return out;
}

/** Decodes {@link alarmKey}. */
export function alarmOf(k: Uint8Array): AlarmMember {
  const view = new DataView(k.buffer, k.byteOffset, k.byteLength);
  return { memberId: view.getBigUint64(0), alarm: view.getUint8(8) as AlarmType };
}

/** What one batch persists: the revisions written, lease records, alarms, and the applied index. */
export interface BatchInput {
  /** The changes of the batch, in revision order. */
  changes: readonly Change[];
  /** Leases to write (with their TTLs) or delete (`undefined`). */
  leases: readonly [bigint, { ttl: number; remainingTtl: number } | undefined][];
  /** The newest compaction applied in the batch, if any. */
  compactRev?: number | undefined;
  /** Alarms raised (`true`) or cleared (`false`) by the batch. */
  alarms?: readonly [AlarmMember, boolean][] | undefined;
  /** Member attributes published by the batch. */
  members?: readonly [bigint, MemberAttributes][] | undefined;
  /** The applied index, written in the same atomic batch. */
  appliedIndex: number;
}

/**
 * The KV's durable layout under a sublevel of an abstract-level database:
 *
 * - `rev`: one record per revision (etcd's `key` bucket): key = {@link encodeRevision}
 *   (a trailing `t` marks a tombstone), value = {@link encodeKv}.
 * - `lease`: one record per lease (etcd's `lease` bucket): 8-byte id → `[ttl, remainingTtl]`.
 * - `alarm`: one empty record per raised alarm (etcd's `alarm` bucket), keyed by {@link alarmKey}.
 * - `member`: each member's published name and client URLs (etcd's `members` bucket attributes).
 * - `meta`: the applied index and the compaction revisions (etcd's `meta` bucket).
 *
 * Durability: {@link KvBackend.write} queues an apply batch and returns at once; a
 * {@link WriteQueue} writes the queued batches in order, one synced `db.batch` at a time, the
 * batches queued while a write is in flight together as the next one (group commit). Each
 * write is atomic and carries the applied index of its last batch, so a crash at any point
 * (process or power) leaves exactly a prefix of the applied batches: LevelDB may lose any part
 * of an unsynced log tail after a power loss, even a block in its middle, but no write of the
 * queue is left unsynced. The Replica applies the rest again from its Raft log, or restores
 * its stored Raft snapshot when the log was compacted past the prefix. Until its write is
 * done a batch's revision records are read from the queue ({@link KvBackend.read},
 * {@link KvBackend.revisionsBetween}); the rarer paths that read everything (snapshots,
 * physical compaction, replace) wait for the queue to drain first. A failed write is kept:
 * {@link KvBackend.write} and {@link KvBackend.flush} throw it from then on.
 */
export class KvBackend {
  private readonly db: AnyLevel;
  private readonly revs: BytesSublevel;
  private readonly leases: BytesSublevel;
  private readonly meta: BytesSublevel;
  private readonly alarms: BytesSublevel;
  private readonly members: BytesSublevel;
  readonly #into: { readonly rev: Into; readonly lease: Into; readonly meta: Into; readonly alarm: Into; readonly member: Into };
  /** Whether the parent database takes and stores bytes as given (`view` keys and values): then writes go to it with prefixed keys. */
  readonly #direct: boolean;
  /**
   * Whether the direct path's keys come from the shared byte pool: only for a database that keeps
   * its data past the process (classic-level), which copies every key it is given. A small new
   * array lives in V8's heap, and native code that reads it moves it out first, one ArrayBuffer
   * allocated per key: under puts that was two thirds of a member's ArrayBuffer allocations (measured).
   * A database that keeps the arrays it is given (memory-level) gets arrays of their own, so that
   * a stored key never keeps a pool buffer alive.
   */
  readonly #pooledKeys: boolean;
  readonly #queue: WriteQueue<Op>;
  /** The options of a write meant to be synced: `{ sync: true }`, or none with `noSync`. */
  readonly #sync: AbstractBatchOptions<Uint8Array, Uint8Array>;
  #inUse = 0;

  /**
   * @param db - the parent database (opened by its owner).
   * @param name - the sublevel name.
   * @param onCommit - told the duration of each synced write and how many apply batches it carried.
   * @param batching - how synced writes gather apply batches: interval and operation limit (see {@link WriteQueue}).
   * @param noSync - write without fsync (etcd's `--unsafe-no-fsync`): the writes meant to be synced are not.
   */
  constructor(db: AnyLevel, name: string, onCommit: (seconds: number, batches: number) => void = () => undefined, batching: WriteQueueOptions = {}, noSync = false) {
    this.db = db;
    this.#sync = noSync ? {} : SYNC;
    this.#queue = new WriteQueue((ops) => this.#commit(ops, true), onCommit, batching);
    const enc = { keyEncoding: 'view', valueEncoding: 'view' } as const;
    const root = db.sublevel<Uint8Array, Uint8Array>(name, enc) as unknown as AnyLevel;
    this.revs = root.sublevel<Uint8Array, Uint8Array>('rev', enc) as BytesSublevel;
    this.leases = root.sublevel<Uint8Array, Uint8Array>('lease', enc) as BytesSublevel;
    this.meta = root.sublevel<Uint8Array, Uint8Array>('meta', enc) as BytesSublevel;
    this.alarms = root.sublevel<Uint8Array, Uint8Array>('alarm', enc) as BytesSublevel;
    this.members = root.sublevel<Uint8Array, Uint8Array>('member', enc) as BytesSublevel;
    const into = (sublevel: BytesSublevel): Into => ({ options: { sublevel }, prefix: root.prefixKey(sublevel.prefixKey(new Uint8Array(0), 'view', true), 'view', true) });
    this.#into = { rev: into(this.revs), lease: into(this.leases), meta: into(this.meta), alarm: into(this.alarms), member: into(this.members) };
    this.#direct = db.keyEncoding().commonName === 'view' && db.valueEncoding().commonName === 'view';
    this.#pooledKeys = this.#direct && db.supports.permanence;
  }

  /**
   * The key and value bytes of every revision record stored (etcd's "size in use": history not
   * yet compacted away included), kept up to date by {@link KvBackend.load}, {@link KvBackend.write}
   * and {@link KvBackend.physicalCompact}.
   */
  get inUseBytes(): number {
    return this.#inUse;
  }

  /**
   * Writes `ops` atomically (synced if `sync`) with a chained batch: abstract-level's array
   * batch copies, re-encodes and re-prefixes every operation before the database sees it
   * (several times the cost per operation, measured), the chained batch adds each directly.
   * When the parent database takes bytes as they are, each key is prefixed here and put without
   * options: abstract-level's per-operation options handling (copying the options, looking up
   * the encodings, prefixing for the sublevel) cost about 3x the CPU and 4x the memory of the
   * plain put (measured with classic-level: 25 vs 8 µs and 1.9 vs 0.45 KB per operation).
   */
  async #commit(ops: readonly Op[], sync: boolean): Promise<void> {
    const batch = this.db.batch();
    const direct = this.#direct;
    const pooled = this.#pooledKeys;
    try {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        if (direct) {
          if (op.type === 'put') batch.put(prefixed(op.into.prefix, op.key, pooled), op.value);
          else batch.del(prefixed(op.into.prefix, op.key, pooled));
        } else if (op.type === 'put') batch.put(op.key, op.value, op.into.options);
        else batch.del(op.key, op.into.options);
      }
    } catch (e) {
      await batch.close();
      throw e;
    }
    await batch.write(sync ? this.#sync : {});
  }

  /** Opens the parent database if needed. */
  async open(): Promise<void> {
    if (this.db.status === 'opening' || this.db.status === 'closed') await this.db.open();
  }

  /** The apply batches queued or being written. */
  get queueDepth(): number {
    return this.#queue.depth;
  }

  /** The key-values stored at `revs` (live records; tombstones are never read), queued ones included. */
  async read(revs: readonly Revision[]): Promise<KeyValue[]> {
    const keys = revs.map((r) => encodeRevision(r));
    const queued = keys.map((k) => this.#queue.get(k));
    const missing = keys.filter((_, i) => queued[i] === undefined);
    const got = missing.length === 0 ? [] : await this.revs.getMany(missing);
    let j = 0;
    return queued.map((q, i) => {
      const v = q ?? got[j++];
      if (v === undefined) throw new Error(`kv backend: revision ${revKey(revs[i]!)} is missing`);
      return decodeKv(v);
    });
  }

  /**
   * Resolves at once unless more than {@link MAX_QUEUED_RECORDS} revision records are queued,
   * else when the write in flight is done.
   */
  room(): Promise<void> {
    return this.#queue.room(MAX_QUEUED_RECORDS);
  }

  /** Whether more than {@link MAX_QUEUED_RECORDS} revision records are queued ({@link KvBackend.room} would wait). */
  get full(): boolean {
    return this.#queue.queuedRecords > MAX_QUEUED_RECORDS;
  }

  /** @throws `KvBackendWriteError` when a write failed. */
  throwIfFailed(): void {
    this.#queue.check();
  }

  /**
   * Resolves once every batch queued before the call is written and synced.
   *
   * @throws `KvBackendWriteError` when a write failed.
   */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /**
   * Rebuilds the in-memory state from disk (etcd's `restore`): the key index from every
   * revision record in order, the lease table, the key-lease attachments, the revisions.
   * Returns the applied index, the raised alarms, and a physical compaction left unfinished by
   * a crash (to redo).
   */
  async load(store: MvccStore): Promise<{ appliedIndex: number; alarms: AlarmMember[]; members: [bigint, MemberAttributes][]; redo: { rev: number; keep: Set<string> } | undefined }> {
    // The disk is the truth: batches a failed write left queued are applied again from the log.
    await this.#queue.settled();
    this.#queue.reset();
    store.reset();
    const scheduled = readU64(await this.meta.get(META_COMPACT_SCHEDULED));
    const finished = readU64(await this.meta.get(META_COMPACT_FINISHED));
    for await (const [k, v] of this.leases.iterator()) {
      const l = decodeLease(v);
      store.leases.add(leaseIdOf(k), l.ttl, l.remainingTtl);
    }
    const leaseOf = new Map<string, bigint>();
    let rev = 1;
    this.#inUse = 0;
    for await (const [k, v] of this.revs.iterator()) {
      const { rev: r, tombstone } = decodeRevision(k);
      const kv = decodeKv(v);
      this.#inUse += kv.key.length + kv.value.length;
      const key = toKey(kv.key);
      const ki = store.index.get(key);
      if (tombstone) {
        ki?.tombstone(r);
        leaseOf.delete(key);
      } else {
        if (ki === undefined) store.index.insert(KeyIndex.restore(key, { main: kv.createRevision, sub: 0 }, r, kv.version));
        else ki.put(r);
        if (kv.lease === 0n) leaseOf.delete(key);
        else leaseOf.set(key, kv.lease);
      }
      rev = r.main;
    }
    for (const [k, id] of leaseOf) store.leases.attach(k, id);
    store.leases.drainTouched();
    store.rev = Math.max(rev, scheduled ?? 0);
    store.visibleRev = store.rev;
    let redo: { rev: number; keep: Set<string> } | undefined;
    if (scheduled !== undefined) {
      const keep = store.compact(scheduled);
      if (scheduled !== finished) redo = { rev: scheduled, keep };
    }
    const alarms: AlarmMember[] = [];
    for await (const k of this.alarms.keys()) alarms.push(alarmOf(k));
    const members: [bigint, MemberAttributes][] = [];
    for await (const [k, v] of this.members.iterator()) members.push([idOfKey(k), decodeMemberAttrs(v)]);
    return { appliedIndex: readU64(await this.meta.get(META_APPLIED)) ?? 0, alarms, members, redo };
  }

  /**
   * Queues one batch (revisions, leases, alarms, compaction mark, applied index), to be written
   * atomically and synced, possibly with the batches queued after it (see the class comment).
   *
   * @throws `KvBackendWriteError` when an earlier write failed.
   */
  write(b: BatchInput): void {
    this.#queue.check();
    const ops: Op[] = [];
    const records: PendingRecord[] = [];
    for (const c of b.changes) {
      const record = [encodeRevision(c.rev, c.tombstone), encodeKv(c.kv)] as const;
      records.push(record);
      ops.push({ type: 'put', into: this.#into.rev, key: record[0], value: record[1] });
      this.#inUse += c.kv.key.length + c.kv.value.length;
    }
    for (const [id, l] of b.leases) {
      if (l === undefined) ops.push({ type: 'del', into: this.#into.lease, key: idKey(id) });
      else ops.push({ type: 'put', into: this.#into.lease, key: idKey(id), value: encodeLease(l.ttl, l.remainingTtl) });
    }
    for (const [a, raised] of b.alarms ?? []) {
      if (raised) ops.push({ type: 'put', into: this.#into.alarm, key: alarmKey(a), value: new Uint8Array(0) });
      else ops.push({ type: 'del', into: this.#into.alarm, key: alarmKey(a) });
    }
    for (const [id, a] of b.members ?? []) ops.push({ type: 'put', into: this.#into.member, key: idKey(id), value: encodeMemberAttrs(a) });
    if (b.compactRev !== undefined) ops.push({ type: 'put', into: this.#into.meta, key: META_COMPACT_SCHEDULED, value: u64(b.compactRev) });
    this.#queue.enqueue(ops, records, { type: 'put', into: this.#into.meta, key: META_APPLIED, value: u64(b.appliedIndex) });
  }

  /**
   * Deletes the records at or below `rev` that compaction left unneeded (etcd's
   * `scheduleCompaction`): every one not in `keep` (tombstones included), in batches, then
   * marks the compaction finished: `batching.limit` records deleted per write, `batching.sleepMs`
   * apart (etcd's batch limit and sleep interval). `keep` = undefined recomputes nothing and keeps
   * only what the index still references (used to redo a compaction after a crash). Returns how
   * many records it deleted; `paused`, when given, hears how long each batch but the last held the
   * write queue, in ms (etcd times the batches it commits before the one that finishes).
   */
  async physicalCompact(rev: number, keep: ReadonlySet<string>, batching: { limit: number; sleepMs: number }, paused?: (ms: number) => void): Promise<number> {
    await this.#queue.flush();
    let deleted = 0;
    let ops: Op[] = [];
    for await (const [k, v] of this.revs.iterator({ lt: encodeRevision({ main: rev + 1, sub: 0 }) })) {
      const { rev: r } = decodeRevision(k);
      if (keep.has(revKey(r))) continue;
      ops.push({ type: 'del', into: this.#into.rev, key: k });
      const kv = decodeKv(v);
      this.#inUse -= kv.key.length + kv.value.length;
      if (ops.length >= batching.limit) {
        const batch = ops;
        const started = performance.now();
        await this.#queue.exclusive(() => this.#commit(batch, false));
        paused?.(performance.now() - started);
        deleted += ops.length;
        ops = [];
        // Applies and their writes run in the gap.
        if (batching.sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, batching.sleepMs));
      }
    }
    ops.push({ type: 'put', into: this.#into.meta, key: META_COMPACT_FINISHED, value: u64(rev) });
    await this.#queue.exclusive(() => this.#commit(ops, true));
    return deleted + ops.length - 1;
  }

  /** Every revision record, in revision order (for snapshots: call {@link KvBackend.flush} first). */
  revisions(): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.revs.iterator();
  }

  /**
   * The revision records with keys in `[gte, lt)`, in revision order, queued ones included.
   *
   * @yields {PendingRecord} each record's key and value.
   */
  async *revisionsBetween(gte: Uint8Array, lt: Uint8Array): AsyncGenerator<PendingRecord> {
    // Everything below the lowest queued key is on the disk already, the rest in the queue.
    const { below, records } = this.#queue.between(gte, lt);
    const end = below !== undefined && compareBytes(below, lt) < 0 ? below : lt;
    if (compareBytes(gte, end) < 0) yield* this.revs.iterator({ gte, lt: end });
    yield* records;
  }

  /** Every lease record (for snapshots: call {@link KvBackend.flush} first). */
  leaseRecords(): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.leases.iterator();
  }

  /**
   * A consistent view of every record as now stored (an explicit database snapshot, taken
   * synchronously), readable while later batches are written; `undefined` when the database
   * has no explicit snapshots. Call {@link KvBackend.flush} first so that it holds every
   * applied batch, and close it when done.
   */
  readView(): BackendView | undefined {
    if (!this.db.supports.explicitSnapshots) return undefined;
    const snapshot = this.db.snapshot();
    return this.#view({ snapshot }, () => snapshot.close());
  }

  /**
   * A view of the records read live, for a database without explicit snapshots: it holds
   * what is stored when each record is read, so call {@link KvBackend.flush} first and write
   * nothing until it has been read.
   */
  liveView(): BackendView {
    return this.#view({}, () => Promise.resolve());
  }

  #view(options: ViewOptions, close: () => Promise<void>): BackendView {
    const compaction = async (): Promise<number | undefined> => readU64(await this.meta.get(META_COMPACT_SCHEDULED, options));
    return recordView({ revs: this.revs, leases: this.leases, alarms: this.alarms, members: this.members }, compaction, options, close);
  }

  /** The compaction revision recorded, once every queued batch is written. */
  async compaction(): Promise<number | undefined> {
    await this.#queue.flush();
    return readU64(await this.meta.get(META_COMPACT_SCHEDULED));
  }

  /**
   * Replaces everything with a snapshot's records, in batches (never all in memory). The
   * compaction is marked scheduled but not finished, so the next load deletes the records it
   * made unneeded.
   */
  async replace(items: AsyncIterable<KvSnapshotItem>, compactRev: number | undefined, appliedIndex: number): Promise<void> {
    await this.#queue.flush();
    const write = (ops: Op[], sync = false): Promise<void> => this.#queue.exclusive(() => this.#commit(ops, sync));
    // The applied index goes first, synced: a crash part way leaves a state that claims nothing
    // applied (restored again from the snapshot), whatever else of the unsynced writes is lost.
    await write([{ type: 'del', into: this.#into.meta, key: META_APPLIED }], true);
    for (const s of [this.revs, this.leases, this.meta, this.alarms, this.members]) await this.#queue.exclusive(() => s.clear());
    let ops: Op[] = [];
    for await (const it of items) {
      ops.push({ type: 'put', into: this.#into[it.kind], key: it.key, value: it.value });
      if (ops.length >= 10_000) {
        await write(ops);
        ops = [];
      }
    }
    if (compactRev !== undefined) ops.push({ type: 'put', into: this.#into.meta, key: META_COMPACT_SCHEDULED, value: u64(compactRev) });
    ops.push({ type: 'put', into: this.#into.meta, key: META_APPLIED, value: u64(appliedIndex) });
    await write(ops, true);
  }
}
