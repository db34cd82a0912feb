import { MemoryLevel } from 'memory-level';
import { Histogram, exponentialBuckets, type Registry } from 'prom-client';
import type { Command, StateMachine, StateMachineSnapshot, StateMachineSnapshotStream } from '../replica/state-machine.js';
import type { AnyLevel } from '../storage/level-load.js';
import { KvBackend, type BatchInput } from './backend.js';
import { decodeCommittedCommand, type HashCheckCommand, type HashVerdictCommand, type KvCommand, type MemberRequestCommand, type MemberResultCommand } from './commands.js';

/** A forwarded membership request or its result, as given to {@link KvStateMachine.onMemberCommand} observers. */
export type MemberCommand = MemberRequestCommand | MemberResultCommand;

/** A corruption check or an answer to one, as given to {@link KvStateMachine.onHashCommand} observers. */
export type HashCommand = HashCheckCommand | HashVerdictCommand;

/** The commands that change no state: members coordinate through the log with them. */
type CoordinationCommand = MemberCommand | HashCommand;
const COORDINATION_OPS: ReadonlySet<KvCommand['op']> = new Set(['memberRequest', 'memberResult', 'hashCheck', 'hashVerdict']);
import { KvError, UnknownCommandError } from './errors.js';
import { InvalidArgumentError } from '../replica/errors.js';
import { AlarmTable } from './alarms/alarm-table.js';
import { MemberAttrTable } from './cluster/member-attrs.js';
import { MvccApplier, type Effects } from './mvcc/apply.js';
import { KvHistograms } from './kv-histograms.js';
import { applyCommand, type CommandTargets, type Outcome } from './apply-command.js';
import { inRange, keyRange, toBytes, toKey } from './mvcc/bytes.js';
import { decodeRevision, encodeRevision, type Revision } from './mvcc/revision.js';
import { DEFAULT_VALUE_CACHE_BYTES, MvccStore, type Change } from './mvcc/store.js';
import { concatBytes, decodeKv } from './record.js';
import { BadKvSnapshotError, decodeKvSnapshot } from './snapshot-format.js';
import { captureKvSnapshot, oneChunk } from './snapshot-capture.js';
import { EventType, type Bytes, type Event, type ReadonlyEvent } from './types.js';
import type { KvStateMachineOptions } from './kv-state-machine-options.js';

export type { KvStateMachineOptions } from './kv-state-machine-options.js';

const COMMIT_METRIC = 'etcd_disk_backend_commit_duration_seconds';

/** The result of one applied KV command: its response, or the `KvError` it failed with (nothing changed). */
export type KvResult =
  | {
      /** Applied. */
      ok: true;
      /** The response (its header carries the revision only; the client fills the rest). */
      response: unknown;
      /** For a compaction: resolves once the compacted records are deleted from the database. */
      physical?: Promise<void>;
    }
  | {
      /** Refused. */
      ok: false;
      /** Why (etcd's error). */
      error: KvError;
    };

/** One applied revision, as given to {@link KvStateMachine.onRevision} observers. */
export interface RevisionEvents {
  /** The store revision. */
  revision: number;
  /** Its events in op order (a DELETE's `kv` has `key` and `modRevision` only), shared by every observer: read-only. */
  events: readonly ReadonlyEvent[];
  /** For each event, the revision of the key's previous record (read it for `prevKv`), if the key existed. */
  prevRevisions: (Revision | undefined)[];
}

/**
 * The KV store as a Replica state machine: applies encoded {@link KvCommand}s to an MVCC store
 * whose index lives in memory and whose revisions live in an abstract-level database.
 *
 * Durability: `apply` updates the state in memory, queues the batch's records (revisions,
 * leases, alarms, compaction mark, applied index) and returns the results without waiting for
 * the disk. The KV backend (`KvBackend`) writes the queue in order, one synced atomic batch at a time
 * (group commit: the batches queued during a write go together in the next), each timed by
 * `etcd_disk_backend_commit_duration_seconds`. A crash therefore leaves exactly a prefix of the
 * applied batches with its applied index, and the Replica applies the rest again from its Raft
 * log, which holds every committed entry durably. Reads (ranges, watch catch-up, hashes) see
 * queued records; snapshots and physical compaction wait for the queue to drain, and
 * {@link KvStateMachine.close} drains it. Observers hear of each revision once it is applied in
 * memory, before its write is synced (as etcd notifies watchers after its backend's in-memory
 * commit). A failed write makes every later `apply` reject with `KvBackendWriteError`, which
 * stops the replica; a restart reloads the durable prefix and applies the rest again.
 */
export class KvStateMachine implements StateMachine<KvResult> {
  /** The MVCC store (index, leases, revisions). */
  readonly store: MvccStore;
  /** How many committed entries held a command of a kind a newer build added (applied as no-ops; see `UnknownCommandError`). */
  unknownCommandsApplied = 0;
  /**
   * Lease TTLs granted and compaction pauses, for etcd's histograms.
   * @internal
   */
  readonly histograms = new KvHistograms();
  /** The replicated alarms ({@link AlarmTable}); persisted with each batch and carried in snapshots. */
  readonly alarms = new AlarmTable();
  /** The members' published names and client URLs ({@link MemberAttrTable}); persisted and carried in snapshots. */
  readonly members = new MemberAttrTable();
  /** The database the KV writes under (maintenance reads its size and compacts it). */
  readonly db: AnyLevel;
  /** `etcd_disk_backend_commit_duration_seconds`: the duration of each batch write. */
  readonly commitDuration: Histogram;
  private readonly backend: KvBackend;
  private readonly applier: MvccApplier;
  private readonly compactionBatching: { limit: number; sleepMs: number };
  /** What a command is applied to (see {@link applyCommand}). */
  private readonly targets: CommandTargets;
  private readonly observers = new Set<(r: RevisionEvents) => void>();
  private readonly renewals = new Set<(id: bigint, granted: boolean) => void>();
  private readonly restores = new Set<(phase: 'begin' | 'end') => void>();
  private readonly coordination = new Set<(cmd: CoordinationCommand, term: number) => void>();
  private applied = 0;
  private loaded: Promise<void> | undefined;
  /** Whether the last load finished (then `apply` need not wait for {@link KvStateMachine.ready}). */
  private isLoaded = false;
  private compacting: Promise<void> = Promise.resolve();
  /** With `snapshotByReference`, `StateMachine.persist`: flushes, resolves with the applied index as of the call. */
  readonly persist: (() => Promise<number>) | undefined;

  /** @param options - where to store, lease TTL floor. */
  constructor(options: KvStateMachineOptions = {}) {
    const db = options.db ?? options.storage?.db ?? new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    this.db = db;
    const commitDuration = new Histogram({
      name: COMMIT_METRIC,
      help: 'The latency distributions of commit called by the KV backend (one synced atomic batch: every apply batch queued since the previous one).',
      buckets: exponentialBuckets(0.001, 2, 14),
      registers: [],
    });
    this.commitDuration = commitDuration;
    const interval = options.backendBatchIntervalMs ?? 0;
    if (!Number.isFinite(interval) || interval < 0) throw new InvalidArgumentError(`backendBatchIntervalMs must be a non-negative number of milliseconds, got ${String(interval)}`);
    const limit = options.backendBatchLimit ?? Infinity;
    if (!(limit >= 1)) throw new InvalidArgumentError(`backendBatchLimit must be at least 1, got ${String(limit)}`);
    this.backend = new KvBackend(db, options.name ?? 'kv', (seconds) => commitDuration.observe(seconds), { intervalMs: interval, limit }, options.noSync === true);
    this.compactionBatching = { limit: options.compactionBatchLimit ?? 1000, sleepMs: options.compactionSleepIntervalMs ?? 10 };
    if (!Number.isSafeInteger(this.compactionBatching.limit) || this.compactionBatching.limit < 1) throw new InvalidArgumentError(`compactionBatchLimit must be a positive integer, got ${String(options.compactionBatchLimit)}`);
    if (!(this.compactionBatching.sleepMs >= 0)) throw new InvalidArgumentError(`compactionSleepIntervalMs must be a non-negative number of milliseconds, got ${String(options.compactionSleepIntervalMs)}`);
    const cacheBytes = options.valueCacheBytes ?? DEFAULT_VALUE_CACHE_BYTES;
    if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0) throw new InvalidArgumentError(`valueCacheBytes must be a non-negative integer, got ${String(cacheBytes)}`);
    this.store = new MvccStore(this.backend, cacheBytes);
    const minTtl = options.minLeaseTtl ?? Math.ceil((1.5 * (options.electionMs ?? 1000)) / 1000);
    this.applier = new MvccApplier(this.store, minTtl);
    this.targets = { store: this.store, applier: this.applier, alarms: this.alarms, members: this.members, renewals: this.renewals, histograms: this.histograms };
    // The applied index as of the call: the flush that follows makes it durable.
    this.persist = options.snapshotByReference !== true ? undefined : () => { const at = this.applied; return this.backend.flush().then(() => at); };
  }

  /** The apply batches applied in memory whose write is not yet done (queued or in flight). */
  get queueDepth(): number {
    return this.backend.queueDepth;
  }

  /**
   * Resolves once every batch applied before the call is written and synced.
   *
   * @throws `KvBackendWriteError` when a write failed.
   */
  flush(): Promise<void> {
    return this.backend.flush();
  }

  /** Drains the write queue (the Replica awaits it before closing its storage); rejects like {@link KvStateMachine.flush}. */
  async close(): Promise<void> {
    await this.backend.flush();
  }

  /** The key and value bytes of every revision stored, compacted history excluded (etcd's db size in use). */
  get dbSizeInUse(): number {
    return this.backend.inUseBytes;
  }

  /** Registers the KV's metrics on a registry (the Replica's: `replica.metricsRegistry`); idempotent. */
  registerMetrics(registry: Registry): void {
    if (registry.getSingleMetric(COMMIT_METRIC) === undefined) registry.registerMetric(this.commitDuration);
  }

  /** Loads the state from the database (once per replica start; again after a failure). */
  async appliedIndex(): Promise<number> {
    this.loaded = this.load();
    await this.loaded;
    return this.applied;
  }

  private async load(): Promise<void> {
    this.isLoaded = false;
    await this.backend.open();
    const { appliedIndex, alarms, members, redo } = await this.backend.load(this.store);
    this.applied = appliedIndex;
    this.alarms.load(alarms);
    this.members.load(members);
    if (redo !== undefined) void this.schedulePhysical(redo.rev, redo.keep);
    this.isLoaded = true;
  }

  /** Resolves once the state is loaded (call before reading from a state machine not yet started). */
  async ready(): Promise<void> {
    await (this.loaded ??= this.load());
  }

  /**
   * Applies a batch in memory and queues its effects and applied index for one atomic write
   * (see the class comment); returns each command's result without waiting for the disk.
   *
   * @throws `KvBackendWriteError` (before applying anything) when an earlier write failed.
   */
  async apply(commands: readonly Command[]): Promise<KvResult[]> {
    if (!this.isLoaded) await this.ready();
    if (this.backend.full) await this.backend.room();
    this.backend.throwIfFailed();
    const results: KvResult[] = [];
    // The batch's changes (for the backend) and each command's own (for observers, one revision each).
    const changes: Change[] = [];
    const revisions: Change[][] = [];
    // Rare kinds: made only when the batch has one.
    let compacts: { ok: true; response: unknown; physical?: Promise<void> }[] | undefined;
    let coordination: [CoordinationCommand, number][] | undefined;
    let compaction: Effects['compaction'];
    for (const c of commands) {
      const cmd = decodeCommittedCommand(c.data);
      if (cmd instanceof UnknownCommandError) {
        this.unknownCommandsApplied++;
        results.push({ ok: false, error: cmd });
        continue;
      }
      if (COORDINATION_OPS.has(cmd.op)) (coordination ??= []).push([cmd as CoordinationCommand, c.term]);
      // A put that reads nothing first is applied at once: no promise, no turn of the microtask queue.
      const pending = this.applyOne(cmd);
      const r = pending instanceof Promise ? await pending : pending;
      if ('error' in r) {
        results.push(r);
        continue;
      }
      const res: KvResult = { ok: true, response: r.response };
      const cs = r.effects.changes;
      if (cs.length > 0) {
        revisions.push(cs);
        for (const ch of cs) changes.push(ch);
      }
      if (r.effects.compaction !== undefined) {
        compaction = r.effects.compaction;
        (compacts ??= []).push(res);
      }
      results.push(res);
    }
    const leases: BatchInput['leases'] = this.store.leases.drainTouched().map((id) => {
      const l = this.store.leases.get(id);
      return [id, l === undefined ? undefined : { ttl: l.ttl, remainingTtl: l.remainingTtl }];
    });
    const last = commands[commands.length - 1];
    this.backend.write({ changes, leases, alarms: this.alarms.drainTouched(), members: this.members.drainTouched(), compactRev: compaction?.rev, appliedIndex: last?.index ?? this.applied });
    this.applied = last?.index ?? this.applied;
    this.store.commit();
    if (compaction !== undefined) {
      const physical = this.schedulePhysical(compaction.rev, compaction.keep);
      for (const r of compacts ?? []) r.physical = physical;
    }
    for (const cs of revisions) this.notify(cs);
    if (coordination !== undefined) for (const [cmd, term] of coordination) for (const fn of this.coordination) fn(cmd, term);
    return results;
  }

  /** One command's outcome (see {@link applyCommand}). */
  private applyOne(cmd: KvCommand): Outcome | Promise<Outcome> {
    const refused = this.alarms.refusal(cmd);
    if (refused !== undefined) return { ok: false, error: refused };
    return applyCommand(this.targets, cmd);
  }

  /** Deletes compacted records in the background, after reads that may still need them. */
  private schedulePhysical(rev: number, keep: ReadonlySet<string>): Promise<void> {
    const run = async (): Promise<void> => {
      await this.store.readsSettled();
      this.store.ops.compactedKeys += await this.backend.physicalCompact(rev, keep, this.compactionBatching, (ms) => this.histograms.dbCompactionPause.observe(ms));
    };
    const p = this.compacting.then(run, run);
    // A failed physical compaction is reported to whoever awaits it (compact with `physical`)
    // and redone after a restart (its finish mark is missing); it never becomes unhandled.
    p.catch(() => undefined);
    this.compacting = p;
    return p;
  }

  private notify(cs: readonly Change[]): void {
    if (this.observers.size === 0 || cs.length === 0) return;
    const batch: RevisionEvents = {
      revision: cs[0]!.rev.main,
      events: cs.map((c) => (c.tombstone ? { type: EventType.DELETE, kv: c.kv } : { type: EventType.PUT, kv: c.kv })),
      prevRevisions: cs.map((c) => c.prev),
    };
    for (const fn of this.observers) fn(batch);
  }

  /**
   * Calls `fn` after each forwarded membership request or result is applied (and durable), with
   * the term of its entry. Returns the remover.
   */
  onMemberCommand(fn: (cmd: MemberCommand, term: number) => void): () => void {
    return this.observeCoordination((cmd, term) => {
      if (cmd.op === 'memberRequest' || cmd.op === 'memberResult') fn(cmd, term);
    });
  }

  /** Calls `fn` after each corruption check or verdict is applied (and durable), with the term of its entry. Returns the remover. */
  onHashCommand(fn: (cmd: HashCommand, term: number) => void): () => void {
    return this.observeCoordination((cmd, term) => {
      if (cmd.op === 'hashCheck' || cmd.op === 'hashVerdict') fn(cmd, term);
    });
  }

  private observeCoordination(fn: (cmd: CoordinationCommand, term: number) => void): () => void {
    this.coordination.add(fn);
    return () => this.coordination.delete(fn);
  }

  /**
   * Calls `fn` with a lease's id each time a grant (`granted` true) or a keep-alive of it is
   * applied (its time to live starts again). Returns the remover.
   */
  onLeaseRenewed(fn: (id: bigint, granted: boolean) => void): () => void {
    this.renewals.add(fn);
    return () => this.renewals.delete(fn);
  }

  /**
   * Calls `fn` after each revision is applied in memory (its write may still be queued), with
   * its events in op order (what watch builds on). Returns a function that removes the observer.
   */
  onRevision(fn: (r: RevisionEvents) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /**
   * The events on keys in `[key, rangeEnd)` from revision `from` to `to` inclusive, read from
   * the database (for watchers catching up). `from` must not be below the compacted revision.
   */
  async readEvents(key: Bytes, rangeEnd: Bytes | undefined, from: number, to: number): Promise<Event[]> {
    const r = keyRange(toBytes(key), toBytes(rangeEnd));
    const out: Event[] = [];
    for await (const [k, v] of this.backend.revisionsBetween(encodeRevision({ main: from, sub: 0 }), encodeRevision({ main: to + 1, sub: 0 }))) {
      const kv = decodeKv(v);
      if (!inRange(r, toKey(kv.key))) continue;
      out.push(decodeRevision(k).tombstone ? { type: EventType.DELETE, kv } : { type: EventType.PUT, kv });
    }
    return out;
  }

  /**
   * Every revision record up to revision `to` inclusive (`[etcd's revision key, msgpack
   * key-value]`), queued ones included, in revision order, read from the database.
   */
  revisionRecords(to: number): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    return this.backend.revisionsBetween(encodeRevision({ main: 0, sub: 0 }), encodeRevision({ main: to + 1, sub: 0 }));
  }

  /**
   * Captures the whole state as of the last `apply` (every queued batch written, then a
   * database snapshot) and returns it as a stream of chunks (length-prefixed msgpack frames:
   * header, record groups, trailer), read from that snapshot as the replica consumes them,
   * while later batches are applied: a large store is never held in one buffer.
   */
  async captureSnapshot(): Promise<AsyncIterable<Uint8Array>> {
    await this.ready();
    return captureKvSnapshot(this.backend, () => this.store.rev);
  }

  /**
   * The whole state as a stream of chunks, captured when the first is read (see {@link KvStateMachine.captureSnapshot}).
   *
   * @yields {Uint8Array} the snapshot's chunks.
   */
  async *snapshotChunks(): AsyncGenerator<Uint8Array> {
    yield* await this.captureSnapshot();
  }

  /** The whole state in one buffer (the concatenation of {@link KvStateMachine.snapshotChunks}). */
  async snapshot(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const c of this.snapshotChunks()) parts.push(c);
    return concatBytes(parts);
  }

  /**
   * Calls `fn('begin')` before a snapshot replaces the state and `fn('end')` once the new state
   * is loaded (or the restore failed): the revisions in between were never observed one by one,
   * so watchers must catch up from storage (etcd's `watchableStore.Restore`). Returns the remover.
   */
  onRestore(fn: (phase: 'begin' | 'end') => void): () => void {
    this.restores.add(fn);
    return () => this.restores.delete(fn);
  }

  /** Replaces the whole state with a snapshot arriving in chunks. */
  async restoreChunks(snapshot: StateMachineSnapshotStream): Promise<void> {
    await this.ready();
    await this.compacting;
    for (const fn of this.restores) fn('begin');
    try {
      const { header, items } = await decodeKvSnapshot(snapshot.chunks);
      await this.backend.replace(items, header.compactRev, snapshot.index);
      await this.load();
      if (this.store.rev !== header.rev) throw new BadKvSnapshotError(`KV snapshot at revision ${header.rev} restored to revision ${this.store.rev}`);
    } finally {
      for (const fn of this.restores) fn('end');
    }
  }

  /** Replaces the whole state with a snapshot's bytes. */
  restore(snapshot: StateMachineSnapshot): Promise<void> {
    return this.restoreChunks({ index: snapshot.index, term: snapshot.term, chunks: oneChunk(snapshot.data) });
  }
}
