import type { KeyRange } from '../mvcc/bytes.js';
import type { ResponseHeader } from '../types.js';
import { Fifo } from './fifo.js';
import type { WatchBatch, WatchOptions } from './types.js';

/** What a {@link Watcher} tells its hub. */
export interface WatcherHub {
  /** The consumer took a batch of `events` events: room in the backlog for catching up. */
  drained(w: Watcher, events: number): void;
  /** The watcher was cancelled by its consumer. */
  cancel(w: Watcher): void;
  /** The consumer asked for a progress notification. */
  requestProgress(w: Watcher): void;
}

/**
 * One watch on one member: an async iterable of {@link WatchBatch}es, fed by its hub through
 * a bounded backlog (counted in events). A consumer that lags never blocks the apply loop: when
 * the backlog is full, the hub stops feeding the watcher from live revisions and later catches
 * it up from storage (etcd's "victim" watchers). Iterate it once; leaving the loop early
 * cancels the watch.
 *
 * Invariant: batches are queued in revision order, each revision's events whole and in op
 * order; `next` is the first revision not yet queued.
 */
export class Watcher implements AsyncIterable<WatchBatch> {
  /** The watch id, unique on this member. */
  readonly id: number;
  /** The watched key range. */
  readonly range: KeyRange;
  /** The watched key. */
  readonly key: Uint8Array;
  /** The end of the watched range (empty: the key alone). */
  readonly rangeEnd: Uint8Array;
  /** The options it was created with. */
  readonly options: WatchOptions;
  /** The first revision not yet queued. */
  next: number;
  /** Whether it is fed from live revisions (synced), or waits to catch up from storage. */
  synced = false;
  /** A progress notification was asked for while it was not synced; sent once it is. */
  progressWanted = false;
  readonly #hub: WatcherHub;
  readonly #queue = new Fifo<WatchBatch>();
  /** The queued batches whose `prevKv`s are still being read (they and the batches after them wait). */
  readonly #filling = new Set<WatchBatch>();
  #queuedEvents = 0;
  #ended = false;
  #wake: (() => void) | undefined = undefined;
  #listener: (() => void) | undefined = undefined;

  /**
   * @param hub - the hub that feeds it.
   * @param id - its id.
   * @param where - the key, range end and key range watched.
   * @param where.key - the watched key.
   * @param where.rangeEnd - the end of the watched range.
   * @param where.range - the key range, for filtering.
   * @param options - the watch options.
   * @param next - the first revision to deliver.
   */
  constructor(hub: WatcherHub, id: number, where: { key: Uint8Array; rangeEnd: Uint8Array; range: KeyRange }, options: WatchOptions, next: number) {
    this.#hub = hub;
    this.id = id;
    this.key = where.key;
    this.rangeEnd = where.rangeEnd;
    this.range = where.range;
    this.options = options;
    this.next = next;
  }

  /** The events queued and not yet taken by the consumer. */
  get backlog(): number {
    return this.#queuedEvents;
  }

  /** Whether the watch has ended (nothing more is queued). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Queues a batch (hub only); `ready`, when given, resolves once its `prevKv`s are filled (it never rejects). */
  push(batch: WatchBatch, ready?: Promise<void>): void {
    if (this.#ended) return;
    this.#queue.push(batch);
    this.#queuedEvents += batch.events.length;
    if (ready !== undefined) {
      this.#filling.add(batch);
      void ready.then(() => {
        this.#filling.delete(batch);
        this.#notify();
      });
    }
    this.#notify();
  }

  /**
   * Takes the next batch when it is ready (its `prevKv`s filled), in order; `undefined` when
   * none is. The other way to consume a watcher than iterating it, for a consumer that is
   * called back ({@link Watcher.listen}) instead of awaiting; use one way only.
   */
  take(): WatchBatch | undefined {
    const b = this.#queue.peek();
    if (b === undefined || (this.#filling.size > 0 && this.#filling.has(b))) return undefined;
    this.#queue.shift();
    this.#queuedEvents -= b.events.length;
    this.#hub.drained(this, b.events.length);
    return b;
  }

  /**
   * Calls `fn` (synchronously, from the hub's feeding) each time a batch is queued or becomes
   * ready and when the watch ends: the consumer then {@link Watcher.take}s what is ready. One
   * listener per watcher; a later call replaces it, `undefined` removes it.
   */
  listen(fn: (() => void) | undefined): void {
    this.#listener = fn;
  }

  /** Whether the watch has ended and every batch was taken. */
  get finished(): boolean {
    return this.#ended && this.#queue.length === 0;
  }

  /** Ends the watch after the queued batches, with a last `canceled` batch when `header` is given (hub only). */
  end(header?: ResponseHeader, why?: { reason: string; compactRevision?: number }): void {
    if (this.#ended) return;
    if (header !== undefined) {
      this.push({ header, watchId: this.id, events: [], compactRevision: why?.compactRevision ?? 0, canceled: true, cancelReason: why?.reason ?? '', fragment: false, progressNotify: false });
    }
    this.#ended = true;
    this.#notify();
  }

  /** Cancels the watch: the iteration ends after a last `canceled` batch. */
  cancel(): void {
    this.#hub.cancel(this);
  }

  /**
   * Asks for a progress notification: answered at once when the watcher is synced (every event
   * up to the current revision was queued), otherwise as soon as it has caught up.
   */
  requestProgress(): void {
    this.#hub.requestProgress(this);
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
    this.#listener?.();
  }

  /**
   * Yields the batches in order.
   *
   * @yields {WatchBatch} each batch, with its `prevKv`s filled.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<WatchBatch> {
    try {
      for (;;) {
        const b = this.take();
        if (b !== undefined) {
          yield b;
          continue;
        }
        if (this.finished) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      if (!this.#ended) this.#hub.cancel(this);
    }
  }
}
