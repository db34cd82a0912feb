import { RaftkitError } from '../errors.js';
import { compareBytes } from './mvcc/bytes.js';

/**
 * A write to the KV's database failed: the state in memory is ahead of the disk, so the state
 * machine refuses every further apply (the replica stops) until it is restarted, which reloads
 * the durable prefix and applies the rest again from the Raft log. Code `ERR_KV_BACKEND_WRITE`.
 */
export class KvBackendWriteError extends RaftkitError {
  /** @param cause - the database's error. */
  constructor(cause: unknown) {
    super('ERR_KV_BACKEND_WRITE', `kv backend: writing an apply batch failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** How a {@link WriteQueue} gathers batches into writes (etcd's backend batch interval and limit). */
export interface WriteQueueOptions {
  /**
   * How long, in milliseconds, a write waits after the first batch queued for it, to gather
   * more. Default 0: a write starts as soon as no other write is in flight.
   */
  intervalMs?: number | undefined;
  /**
   * The operations a write carries at most, give or take its last batch (etcd's backend batch
   * limit): a write starts without waiting out the interval once the queued batches' operations
   * reach it, and takes batches only until theirs reach it. Default: no limit.
   */
  limit?: number | undefined;
}

/** One record waiting for its write: encoded key and value. */
export type PendingRecord = readonly [key: Uint8Array, value: Uint8Array];

/** What a written record's slot holds until the slots before `#head` are dropped in bulk. */
const WRITTEN: PendingRecord = Object.freeze([new Uint8Array(0), new Uint8Array(0)] as const);

/**
 * The KV backend's write-behind queue with group commit. Apply batches are queued and the
 * caller goes on at once; one synced database write runs at a time, and the batches queued
 * while it runs are written together as the next one. Every write is atomic and ends with the
 * applied index of its last batch, so a crash leaves exactly a prefix of the applied batches on
 * the disk, whatever the file system lost of writes that were never synced.
 *
 * With an interval ({@link WriteQueueOptions.intervalMs}) a write waits to gather more batches,
 * counted from the first batch queued for it; it starts early once the queued operations reach
 * the limit ({@link WriteQueueOptions.limit}), and a write carries batches only until their
 * operations reach the limit (the rest go in the next). {@link WriteQueue.flush} and a
 * {@link WriteQueue.room} that has to wait end the wait at once: nothing that needs the disk up
 * to date waits for the interval.
 *
 * The revision records of queued and in-flight batches stay readable here until their write is
 * done ({@link WriteQueue.get}, {@link WriteQueue.between}). Every other database write of the
 * backend goes through {@link WriteQueue.exclusive}, so no two writes are ever in flight (the
 * database's thread pool could reorder them). A failed write is kept: every later
 * {@link WriteQueue.enqueue} and {@link WriteQueue.flush} throws it.
 *
 * @template Op - a database operation.
 */
export class WriteQueue<Op> {
  readonly #write: (ops: Op[]) => Promise<void>;
  readonly #onCommit: (seconds: number, batches: number) => void;
  readonly #intervalMs: number;
  readonly #limit: number;
  #queued: { ops: Op[]; records: number; seal: Op | undefined }[] = [];
  /** The operations of the batches in `#queued`. */
  #queuedOps = 0;
  /** When the first batch of `#queued` was queued (`performance.now()`). */
  #since = 0;
  /** Whether the batches queued now must be written without waiting for the interval (flush, room). */
  #hurry = false;
  /** Ends the interval's wait early; set while the write loop waits. */
  #wake: (() => void) | undefined;
  /**
   * The records of queued and in-flight batches from `#head` on, in key order (revisions only
   * grow); the slots before `#head` held written records, released as each write ends (the
   * slots themselves are dropped in bulk now and then).
   */
  #records: PendingRecord[] = [];
  #head = 0;
  #loop: Promise<void> | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #failure: KvBackendWriteError | undefined;
  /** Resolved (and dropped) when a write ends; made only when `room` waits for one. */
  #written: { promise: Promise<void>; resolve: () => void } | undefined;

  /**
   * @param write - writes operations atomically and synced (one call at a time).
   * @param onCommit - told the duration of each write and how many batches it carried.
   * @param options - the interval and limit that gather batches into writes.
   */
  constructor(write: (ops: Op[]) => Promise<void>, onCommit: (seconds: number, batches: number) => void, options: WriteQueueOptions = {}) {
    this.#write = write;
    this.#onCommit = onCommit;
    this.#intervalMs = options.intervalMs ?? 0;
    this.#limit = options.limit ?? Infinity;
  }

  /**
   * Resolves when the queue is short again: at once unless more than `limit` records are
   * queued, else when the write in flight is done (applies must not outrun the disk forever).
   */
  async room(limit: number): Promise<void> {
    while (this.queuedRecords > limit && this.#loop !== undefined) {
      this.#hurryUp();
      await (this.#written ??= signal()).promise;
    }
  }

  /** The records of the batches queued or in flight. */
  get queuedRecords(): number {
    return this.#records.length - this.#head;
  }

  /** The batches queued or in flight. */
  get depth(): number {
    return this.#queued.length + (this.#loop === undefined ? 0 : 1);
  }

  /**
   * Queues a batch: `ops` to write, `records` (in key order, after every record queued before)
   * readable until written. Starts a write unless one is in flight. `seal` is the batch's last
   * operation when it is the last batch of its write: a write carrying several batches writes
   * only the last one's seal, after all their operations (the applied index, which each batch
   * would overwrite).
   *
   * @throws {@link KvBackendWriteError} after a failed write.
   */
  enqueue(ops: Op[], records: readonly PendingRecord[], seal?: Op): void {
    this.check();
    for (const r of records) this.#records.push(r);
    if (this.#queued.length === 0) this.#since = performance.now();
    this.#queued.push({ ops, records: records.length, seal });
    this.#queuedOps += ops.length;
    if (this.#queuedOps >= this.#limit) this.#wake?.();
    this.#loop ??= this.#run();
  }

  /** @throws {@link KvBackendWriteError} when a write failed. */
  check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** A queued record's value, if `key` is queued or in flight. */
  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.#lowerBound(key);
    const r = this.#records[i];
    return r !== undefined && compareBytes(r[0], key) === 0 ? r[1] : undefined;
  }

  /**
   * The queued records with keys in `[gte, lt)`, and `below`: the lowest key queued now. Every
   * record below it was written before this call, and none will ever be added below it.
   */
  between(gte: Uint8Array, lt: Uint8Array): { below: Uint8Array | undefined; records: PendingRecord[] } {
    const from = this.#lowerBound(gte);
    const to = Math.max(from, this.#lowerBound(lt));
    return { below: this.#records[this.#head]?.[0], records: this.#records.slice(from, to) };
  }

  /** The position of the first queued record with a key at or above `key` (binary search). */
  #lowerBound(key: Uint8Array): number {
    let lo = this.#head;
    let hi = this.#records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.#records[mid]![0], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Runs `fn` (a database write) when no other write is in flight. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#lock.then(fn);
    this.#lock = p.catch(() => undefined);
    return p;
  }

  /**
   * Resolves once everything queued before the call is written.
   *
   * @throws {@link KvBackendWriteError} when a write failed.
   */
  async flush(): Promise<void> {
    this.#hurryUp();
    await this.settled();
    this.check();
  }

  /** Resolves once no write is in flight (after a failure, with batches still queued). */
  async settled(): Promise<void> {
    while (this.#loop !== undefined) await this.#loop;
  }

  /** Forgets every queued batch and a failure (the caller reloads the state from the disk); call once settled. */
  reset(): void {
    this.#queued = [];
    this.#queuedOps = 0;
    this.#hurry = false;
    this.#records = [];
    this.#head = 0;
    this.#failure = undefined;
  }

  #wrote(): void {
    this.#written?.resolve();
    this.#written = undefined;
  }

  /** Ends the interval's wait for the batches queued now: they are written as soon as possible. */
  #hurryUp(): void {
    if (this.#queued.length === 0) return;
    this.#hurry = true;
    this.#wake?.();
  }

  /** Waits out what is left of the interval for the first queued batch, unless the queue is in a hurry or full. */
  async #gather(): Promise<void> {
    const left = this.#since + this.#intervalMs - performance.now();
    if (left <= 0 || this.#hurry || this.#queuedOps >= this.#limit) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /** Takes the batches of the next write from the queue: all of them, or those whose operations reach the limit. */
  #take(): { ops: Op[]; batches: number; records: number } {
    const ops: Op[] = [];
    let seal: Op | undefined;
    let records = 0;
    let batches = 0;
    while (batches < this.#queued.length && ops.length < this.#limit) {
      const b = this.#queued[batches++]!;
      for (let i = 0; i < b.ops.length; i++) ops.push(b.ops[i]!);
      if (b.seal !== undefined) seal = b.seal;
      records += b.records;
    }
    this.#queuedOps -= ops.length;
    if (batches === this.#queued.length) {
      this.#queued = [];
      this.#hurry = false;
    } else {
      this.#queued = this.#queued.slice(batches);
      this.#since = performance.now();
    }
    if (seal !== undefined) ops.push(seal);
    return { ops, batches, records };
  }

  async #run(): Promise<void> {
    try {
      while (this.#queued.length > 0) {
        if (this.#intervalMs > 0) await this.#gather();
        const { ops, batches, records } = this.#take();
        const start = performance.now();
        await this.exclusive(() => this.#write(ops));
        this.#onCommit((performance.now() - start) / 1000, batches);
        // The written records are never read again: drop them now rather than at the next bulk
        // compaction of the array (a thousand or more writes later), so that they die young.
        this.#records.fill(WRITTEN, this.#head, this.#head + records);
        this.#head += records;
        if (this.#head >= 1024 && this.#head * 2 >= this.#records.length) {
          this.#records = this.#records.slice(this.#head);
          this.#head = 0;
        }
        this.#wrote();
      }
    } catch (e) {
      this.#failure = new KvBackendWriteError(e);
    } finally {
      this.#loop = undefined;
      this.#wrote();
    }
  }
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
