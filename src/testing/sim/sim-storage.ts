import type { ConfState, Entry, Snapshot } from '../../raft/entry.js';
import { MemoryStorage, type InitialState } from '../../raft/log-storage.js';
import type { SeededRng } from '../../raft/rng.js';
import type { ResourceStatus, SaveRequest, Storage } from '../../storage/storage.js';
import type { Scheduler } from '../../transport/scheduler.js';

/** One write as the disk records it, to replay it after a crash. */
type WriteOp =
  | { kind: 'save'; req: SaveRequest }
  | { kind: 'applySnapshot'; snap: Snapshot }
  | { kind: 'createSnapshot'; index: number; confState: ConfState | undefined; data: Uint8Array }
  | { kind: 'compact'; index: number };

function replay(target: MemoryStorage, op: WriteOp): void {
  switch (op.kind) {
    case 'save':
      target.save(op.req);
      return;
    case 'applySnapshot':
      target.applySnapshot(op.snap);
      return;
    case 'createSnapshot':
      target.createSnapshot(op.index, op.confState, op.data);
      return;
    case 'compact':
      target.compact(op.index);
      return;
  }
}

function describeWrite(op: WriteOp, sync: boolean): string {
  switch (op.kind) {
    case 'save': {
      const { hardState: hs, entries, snapshot } = op.req;
      let s = `save${sync ? ' sync' : ''}`;
      if (hs !== undefined) s += ` hs=${hs.term}/${hs.vote}/${hs.commit}`;
      if (entries.length > 0) s += ` ents=${entries[0]!.index}..${entries[entries.length - 1]!.index}@t${entries[entries.length - 1]!.term}`;
      if (snapshot !== undefined && snapshot.metadata.index !== 0) s += ` snap=${snapshot.metadata.term}/${snapshot.metadata.index}`;
      return s;
    }
    case 'applySnapshot':
      return `applySnapshot ${op.snap.metadata.term}/${op.snap.metadata.index}`;
    case 'createSnapshot':
      return `createSnapshot ${op.index}`;
    case 'compact':
      return `compact ${op.index}`;
  }
}

/** Counters of a {@link SimDisk}. */
export interface SimDiskStats {
  /** Writes that completed (saves, snapshots, compactions). */
  writes: number;
  /** Completed `save` calls with `sync: false`. */
  unsyncedSaves: number;
  /** Completed writes that were delayed by the slow-disk fault. */
  slowWrites: number;
  /** Crashes of the member owning the disk. */
  crashes: number;
  /** Completed but unsynced writes lost in crashes. */
  lostWrites: number;
  /** Writes still in progress (not completed) when the member crashed; lost too. */
  abortedWrites: number;
}

/**
 * A member's simulated disk: the contents outlive the {@link SimStorage} handles that
 * replicas open on it, so a member can crash and restart from what was durable.
 *
 * Durability model (a write-ahead log with fsync):
 * - a write is visible to reads once it completes (`save` resolves);
 * - a completed write with `sync: true` (and every `applySnapshot`, `createSnapshot` and
 *   `compact`, which a real adapter syncs) is durable, and so is every write completed before
 *   it, as an fsync of an append-only log flushes everything written earlier;
 * - a crash keeps only the durable writes, plus optionally a prefix of the unsynced ones
 *   (what the OS happened to flush); a write still in progress is lost.
 *
 * So what a `sync: true` save acknowledged always survives, while a `sync: false` save (Raft
 * asks for one only when nothing but the commit index changed) may be lost.
 */
export class SimDisk {
  /** Extra virtual latency of each write in milliseconds: 0, a fixed delay, or a `[min, max]` range. */
  latencyMs: number | readonly [number, number] = 0;
  /** Called with a one-line description of every completed write (for the trace). */
  observer: ((line: string) => void) | undefined = undefined;
  private readonly rng: SeededRng;
  private durable: WriteOp[] = [];
  private unsynced: WriteOp[] = [];
  private liveStorage = new MemoryStorage();
  private generation = 0;
  private inFlight = 0;
  private readonly statsImpl: SimDiskStats = { writes: 0, unsyncedSaves: 0, slowWrites: 0, crashes: 0, lostWrites: 0, abortedWrites: 0 };

  /** @param rng - the disk's own random source (write latencies, what survives a crash). */
  constructor(rng: SeededRng) {
    this.rng = rng;
  }

  /** What the disk holds now, completed writes included (reads go here). */
  get live(): MemoryStorage {
    return this.liveStorage;
  }

  /** A copy of the disk's counters. */
  stats(): SimDiskStats {
    return { ...this.statsImpl };
  }

  /** The number of completed writes that a crash now would lose. */
  get unsyncedWrites(): number {
    return this.unsynced.length;
  }

  /**
   * Simulates a crash: forgets the unsynced writes (keeping the first `keep` of them) and
   * every write in progress. Handles opened before the crash are fenced: their writes never
   * complete. Open a new {@link SimStorage} to restart.
   */
  crash(keep = 0): void {
    const kept = this.unsynced.slice(0, Math.max(0, keep));
    this.statsImpl.crashes++;
    this.statsImpl.lostWrites += this.unsynced.length - kept.length;
    this.statsImpl.abortedWrites += this.inFlight;
    this.inFlight = 0;
    this.durable.push(...kept);
    this.unsynced = [];
    this.generation++;
    const fresh = new MemoryStorage();
    for (const op of this.durable) replay(fresh, op);
    this.liveStorage = fresh;
  }

  /** Opens a handle on the disk for one run of a replica. */
  open(scheduler: Scheduler): SimStorage {
    return new SimStorage(this, scheduler, this.generation);
  }

  /**
   * Whether handles of `generation` may still write.
   *
   * @internal
   */
  current(generation: number): boolean {
    return generation === this.generation;
  }

  /**
   * The latency of the next write, drawn from the disk's RNG.
   *
   * @internal
   */
  nextLatency(): number {
    const l = this.latencyMs;
    if (typeof l === 'number') return l;
    const [lo, hi] = l;
    return hi > lo ? lo + this.rng.nextInt(hi - lo + 1) : lo;
  }

  /**
   * Applies a write that completed, recording it for crash replay.
   *
   * @internal
   */
  complete(op: WriteOp, sync: boolean, slow: boolean): void {
    replay(this.liveStorage, op);
    this.observer?.(describeWrite(op, sync));
    this.statsImpl.writes++;
    if (slow) this.statsImpl.slowWrites++;
    if (op.kind === 'save' && !sync) this.statsImpl.unsyncedSaves++;
    this.unsynced.push(op);
    if (sync) {
      this.durable.push(...this.unsynced);
      this.unsynced = [];
    }
  }

  /**
   * Counts writes in progress.
   *
   * @internal
   */
  track(delta: number): void {
    this.inFlight += delta;
  }
}

/**
 * A {@link Storage} handle on a {@link SimDisk}, for one run of a replica: reads go to the
 * disk's current contents; writes complete at once, or after the disk's latency on the
 * virtual clock (a slow disk). After a crash of the disk, this handle is fenced: its
 * writes never complete (the process that issued them is gone).
 */
export class SimStorage implements Storage {
  private state: ResourceStatus = 'opening';
  private readonly disk: SimDisk;
  private readonly scheduler: Scheduler;
  private readonly generation: number;

  /**
   * Use {@link SimDisk.open} instead.
   *
   * @internal
   */
  constructor(disk: SimDisk, scheduler: Scheduler, generation: number) {
    this.disk = disk;
    this.scheduler = scheduler;
    this.generation = generation;
  }

  get status(): ResourceStatus {
    return this.state;
  }

  open(): void {
    this.state = 'open';
  }

  close(): void {
    this.state = 'closed';
  }

  save(req: SaveRequest): void | Promise<void> {
    const copy: SaveRequest = { hardState: req.hardState, entries: [...req.entries], snapshot: req.snapshot, sync: req.sync };
    return this.write({ kind: 'save', req: copy }, req.sync);
  }

  applySnapshot(snap: Snapshot): void | Promise<void> {
    return this.write({ kind: 'applySnapshot', snap }, true);
  }

  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot | Promise<Snapshot> {
    const done = this.write({ kind: 'createSnapshot', index, confState, data }, true);
    return done === undefined ? this.disk.live.snapshot() : done.then(() => this.disk.live.snapshot());
  }

  compact(index: number): void | Promise<void> {
    return this.write({ kind: 'compact', index }, true);
  }

  /** The persisted hard state and configuration (see `LogStorage`). */
  initialState(): InitialState {
    return this.disk.live.initialState();
  }

  /** The entries in `[lo, hi)` on the disk, as `MemoryStorage.entries` returns them. */
  entries(lo: number, hi: number, maxSize: number): Entry[] {
    return this.disk.live.entries(lo, hi, maxSize);
  }

  /** The term of entry `i`, as `MemoryStorage.term` returns it. */
  term(i: number): number {
    return this.disk.live.term(i);
  }

  /** The index of the last entry on the disk. */
  lastIndex(): number {
    return this.disk.live.lastIndex();
  }

  /** The index of the first entry still on the disk. */
  firstIndex(): number {
    return this.disk.live.firstIndex();
  }

  /** The latest snapshot on the disk. */
  snapshot(): Snapshot {
    return this.disk.live.snapshot();
  }

  private write(op: WriteOp, sync: boolean): void | Promise<void> {
    if (!this.disk.current(this.generation)) return new Promise<void>(() => undefined);
    const latency = this.disk.nextLatency();
    if (latency <= 0) {
      this.disk.complete(op, sync, false);
      return;
    }
    this.disk.track(1);
    return new Promise<void>((resolve, reject) => {
      this.scheduler.schedule(() => {
        // A crash meanwhile: the write never completes, and the caller is gone.
        if (!this.disk.current(this.generation)) return;
        this.disk.track(-1);
        try {
          this.disk.complete(op, sync, true);
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }, latency);
    });
  }
}
