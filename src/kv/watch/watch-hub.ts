import { systemClock, type Cancel, type Clock } from '../../replica/clock.js';
import { compareBytes, keyRange } from '../mvcc/bytes.js';
import { EventType, type Event, type ReadonlyEvent, type ResponseHeader } from '../types.js';
import { WatchFilterType, type WatchBatch, type WatchOptions, type WatchSource } from './types.js';
import { Watcher, type WatcherHub } from './watcher.js';

/** Options of a {@link WatchHub}. */
export interface WatchHubOptions {
  /**
   * The most events a watcher may have queued before it falls back to catching up from storage.
   * Default 1000. A catch-up batch given to a watcher with nothing queued may hold more (up to
   * {@link CATCH_UP_REVISIONS} whole revisions, as etcd's).
   */
  maxBacklog?: number | undefined;
  /** The most revisions one catch-up read covers. Default 1000. */
  revisionsPerRead?: number | undefined;
  /** The batch size above which a watch with `fragment` splits batches, in bytes. Default 1.5 MiB (etcd's request limit). */
  fragmentBytes?: number | undefined;
  /** How often watchers with `progressNotify` get a progress notification while idle, in ms. Default 600 000 (etcd's 10 minutes). */
  progressIntervalMs?: number | undefined;
  /** The clock of the progress timer. Default the system clock. */
  clock?: Clock | undefined;
}

/** The reason a watch whose start revision was compacted ends with (etcd's `ErrCompacted` text). */
export const WATCH_COMPACTED_REASON = 'mvcc: required revision has been compacted';

/**
 * The watchers of one member, after etcd's `watchableStore` (server/mvcc/watchable_store.go):
 *
 * - **synced** watchers are fed from each revision as it is applied and durable (the store's
 *   observer), filtered by key range and filters;
 * - **unsynced** watchers (a past start revision, or a backlog that filled up: etcd's victims)
 *   are caught up from storage by one background loop, a bounded range of revisions per read,
 *   and join the synced group the moment they reach the current revision (synchronously, so
 *   no revision falls between the two paths).
 *
 * Applying never waits for a watcher: a full backlog only moves the watcher to the unsynced
 * group. Batches hold whole revisions (unless fragmented on request), in revision order.
 */
export class WatchHub implements WatcherHub {
  readonly #source: WatchSource;
  readonly #maxBacklog: number;
  readonly #revisionsPerRead: number;
  readonly #fragmentBytes: number;
  readonly #progressMs: number;
  readonly #clock: Clock;
  readonly #watchers = new Set<Watcher>();
  #nextId = 0;
  #unsubscribe: (() => void) | undefined = undefined;
  #progressTimer: Cancel | undefined = undefined;
  #syncing = false;
  #resync = false;
  /** A snapshot is replacing the state: storage reads are not to be trusted until it ends. */
  #restoring = false;
  /** Bumped when a restore begins or ends: a catch-up read started before is discarded. */
  #epoch = 0;
  /** The events consumers took from their watchers (etcd's events sent). */
  eventsTaken = 0;
  /** How many times a synced watcher fell back to catching up because its backlog was full. */
  slowEvents = 0;

  /**
   * @param source - the member's KV.
   * @param options - limits and timers.
   */
  constructor(source: WatchSource, options: WatchHubOptions = {}) {
    this.#source = source;
    this.#maxBacklog = options.maxBacklog ?? 1000;
    this.#revisionsPerRead = options.revisionsPerRead ?? 1000;
    this.#fragmentBytes = options.fragmentBytes ?? 1.5 * 1024 * 1024;
    this.#progressMs = options.progressIntervalMs ?? 600_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** The number of live watchers. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** The events queued to live watchers and not yet taken by their consumers (etcd's pending events). */
  get pendingEvents(): number {
    let n = 0;
    for (const w of this.#watchers) n += w.backlog;
    return n;
  }

  /** The number of watchers catching up from storage (etcd's unsynced and victim watchers). */
  get slowWatchers(): number {
    let n = 0;
    for (const w of this.#watchers) if (!w.synced) n++;
    return n;
  }

  /** Starts a watch of `[key, rangeEnd)` (`rangeEnd` empty: the key alone). */
  watch(key: Uint8Array, rangeEnd: Uint8Array, options: WatchOptions): Watcher {
    if (this.#unsubscribe === undefined) {
      const offRevision = this.#source.onRevision((r) => this.#onRevision(r.revision, r.events));
      const offRestore = this.#source.onRestore((phase) => this.#onRestore(phase));
      this.#unsubscribe = () => (offRevision(), offRestore());
    }
    const current = this.#source.revision();
    const start = options.startRevision !== undefined && options.startRevision > 0 ? options.startRevision : current + 1;
    const w = new Watcher(this, ++this.#nextId, { key, rangeEnd, range: keyRange(key, rangeEnd) }, options, start);
    this.#watchers.add(w);
    if (options.progressNotify === true) this.#progressTimer ??= this.#clock.every(this.#progressMs, () => this.#progressTick());
    if (start > current && start > this.#source.compactRevision()) w.synced = true;
    else this.#scheduleSync();
    return w;
  }

  /** Ends every watch (the member stops). */
  close(): void {
    for (const w of [...this.#watchers]) this.#remove(w);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#progressTimer?.();
    this.#progressTimer = undefined;
  }

  /** {@inheritDoc WatcherHub.cancel} */
  cancel(w: Watcher): void {
    if (!this.#watchers.has(w)) return;
    this.#remove(w, { reason: 'canceled by the client' });
  }

  /** {@inheritDoc WatcherHub.drained} */
  drained(w: Watcher, events: number): void {
    this.eventsTaken += events;
    if (!w.synced && !w.ended) this.#scheduleSync();
  }

  /** {@inheritDoc WatcherHub.requestProgress} */
  requestProgress(w: Watcher): void {
    if (!this.#watchers.has(w)) return;
    if (w.synced) this.#progress(w);
    else w.progressWanted = true;
  }

  #remove(w: Watcher, why?: { reason: string; compactRevision?: number }): void {
    this.#watchers.delete(w);
    w.end(why === undefined ? undefined : this.#source.header(this.#source.revision()), why);
  }

  #progress(w: Watcher): void {
    w.progressWanted = false;
    const header = this.#source.header(this.#source.revision());
    w.push({ header, watchId: w.id, events: [], compactRevision: 0, canceled: false, cancelReason: '', fragment: false, progressNotify: true });
  }

  #progressTick(): void {
    for (const w of this.#watchers) if (w.options.progressNotify === true && w.synced && w.backlog === 0) this.#progress(w);
  }

  /** Whether `w`'s filters let `e` through (its key range aside). */
  #passes(w: Watcher, e: ReadonlyEvent): boolean {
    const f = w.options.filters;
    return f === undefined || f.length === 0 || !f.includes(e.type === EventType.PUT ? WatchFilterType.NOPUT : WatchFilterType.NODELETE);
  }

  #matches(w: Watcher, e: ReadonlyEvent): boolean {
    return this.#passes(w, e) && inByteRange(w.key, w.rangeEnd, e.kv.key);
  }

  /**
   * The events of `events` that `w` watches (the same array when all of them are); `inRange`:
   * the events are known to be in its key range, only its filters are applied.
   */
  #mine(w: Watcher, events: readonly ReadonlyEvent[], inRange = false): readonly ReadonlyEvent[] {
    let out: ReadonlyEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (inRange ? this.#passes(w, e) : this.#matches(w, e)) out?.push(e);
      else out ??= events.slice(0, i);
    }
    return out ?? events;
  }

  /** A revision was applied: feed it to every synced watcher, or demote those whose backlog is full. */
  #onRevision(revision: number, events: readonly ReadonlyEvent[]): void {
    let behind = false;
    for (const w of this.#watchers) {
      behind ||= !w.synced;
      if (!w.synced || revision < w.next) continue;
      const mine = this.#mine(w, events);
      if (mine.length > 0 && w.backlog > 0 && w.backlog + mine.length > this.#maxBacklog) {
        w.synced = false; // w.next stays at this revision: it is read back from storage
        this.slowEvents++;
        this.#scheduleSync();
        continue;
      }
      w.next = revision + 1;
      if (mine.length > 0) this.#queue(w, revision, mine);
    }
    if (behind) this.#scheduleSync();
  }

  /**
   * A snapshot replaces the state: every watcher leaves the synced group (the revisions the
   * snapshot covers were never applied one by one here) and, once the new state is loaded,
   * catches up from storage from its next revision, as etcd's `watchableStore.Restore` does.
   */
  #onRestore(phase: 'begin' | 'end'): void {
    this.#epoch++;
    this.#restoring = phase === 'begin';
    for (const w of this.#watchers) w.synced = false;
    if (phase === 'end') this.#scheduleSync();
  }

  /**
   * Queues `events` (whole revisions) as one batch, or as fragments when asked and too large.
   * The events, and the array of them, are shared between watchers (and with the store's
   * observers): read-only, no copy per watcher. A watcher with `prevKv` gets copies to fill.
   */
  #queue(w: Watcher, revision: number, events: readonly ReadonlyEvent[]): void {
    const header = this.#source.header(revision);
    const prev = w.options.prevKv === true;
    if (w.options.fragment !== true) {
      if (!prev) {
        w.push(eventBatch(header, w.id, events, false));
        return;
      }
      const mine = events.map(copyEvent);
      w.push(eventBatch(header, w.id, mine, false), this.#fillPrev(mine));
      return;
    }
    const parts = fragments(events, this.#fragmentBytes);
    for (let i = 0; i < parts.length; i++) {
      const more = i < parts.length - 1;
      if (!prev) {
        w.push(eventBatch(header, w.id, parts[i]!, more));
        continue;
      }
      const mine = parts[i]!.map(copyEvent);
      w.push(eventBatch(header, w.id, mine, more), this.#fillPrev(mine));
    }
  }

  /** Reads each event's previous key-value (at its revision - 1), as etcd's watch server does. */
  async #fillPrev(events: Event[]): Promise<void> {
    await Promise.all(events.map(async (e) => {
      const prev = await this.#source.readAt(e.kv.key, e.kv.modRevision - 1).catch(() => undefined);
      if (prev !== undefined) e.prevKv = prev;
    }));
  }

  #scheduleSync(): void {
    if (this.#syncing) {
      this.#resync = true;
      return;
    }
    this.#syncing = true;
    void (async () => {
      try {
        do {
          this.#resync = false;
          for (const w of [...this.#watchers]) if (!w.synced && this.#watchers.has(w)) await this.#catchUp(w);
        } while (this.#resync);
      } finally {
        // Cleared in the same turn as the last check of #resync, so no request is lost.
        this.#syncing = false;
      }
    })();
  }

  /**
   * Catches `w` up from storage while its backlog has room; joins it to the synced group at the
   * current revision. As etcd's `syncWatchers`, each catch-up batch holds up to
   * {@link CATCH_UP_REVISIONS} of the watcher's revisions, with the current revision in its header.
   */
  async #catchUp(w: Watcher): Promise<void> {
    while (this.#watchers.has(w) && w.backlog < this.#maxBacklog && !this.#restoring) {
      const compacted = this.#source.compactRevision();
      if (w.next < compacted) {
        this.#remove(w, { reason: WATCH_COMPACTED_REASON, compactRevision: compacted });
        return;
      }
      const current = this.#source.revision();
      if (w.next > current) {
        w.synced = true;
        if (w.progressWanted) this.#progress(w);
        return;
      }
      const read = await this.#readBatch(w, current);
      if (read === undefined) return; // never skip what could not be read: stay unsynced, try again at the next revision
      if (!this.#watchers.has(w)) return;
      if (read === 'again') continue; // a restore began or ended meanwhile: read again
      if (w.next < this.#source.compactRevision()) continue; // compacted while reading: ends above
      const mine = this.#mine(w, read.events, true);
      if (mine.length > 0) this.#queue(w, current, mine);
      w.next = read.last + 1;
    }
  }

  /**
   * Reads the next catch-up batch of `w` from storage: its events (key range only, filters not yet
   * applied) from `w.next` on, whole revisions, at most {@link CATCH_UP_REVISIONS} of them, up to
   * `current`; while its backlog is not empty, no more events (past its filters) than it has room
   * for (one revision at least). `last` is
   * the last revision the batch covers. `undefined` when storage failed; `'again'` when a restore
   * began or ended during the read.
   */
  async #readBatch(w: Watcher, current: number): Promise<{ events: ReadonlyEvent[]; last: number } | 'again' | undefined> {
    const epoch = this.#epoch;
    const out: ReadonlyEvent[] = [];
    let revisions = 0;
    let kept = 0;
    for (let from = w.next; from <= current; ) {
      const to = Math.min(current, from + this.#revisionsPerRead - 1);
      let events: Event[];
      try {
        events = await this.#source.readEvents(w.key, w.rangeEnd, from, to);
      } catch {
        return undefined;
      }
      if (epoch !== this.#epoch) return 'again';
      if (!this.#watchers.has(w)) return { events: [], last: to };
      // Read after the wait: the consumer may have taken batches meanwhile.
      const room = w.backlog === 0 ? Infinity : this.#maxBacklog - w.backlog;
      const inRange = events.filter((e) => inByteRange(w.key, w.rangeEnd, e.kv.key));
      for (const [rev, evs] of groupByRevision(inRange)) {
        const n = evs.reduce((k, e) => k + (this.#passes(w, e) ? 1 : 0), 0);
        if (revisions === CATCH_UP_REVISIONS || (kept > 0 && kept + n > room)) return { events: out, last: rev - 1 };
        for (const e of evs) out.push(e);
        revisions++;
        kept += n;
      }
      from = to + 1;
    }
    return { events: out, last: current };
  }
}

/** The most revisions one catch-up batch holds (etcd's `watchBatchMaxRevs`). */
export const CATCH_UP_REVISIONS = 1000;

/** A batch of events. */
function eventBatch(header: ResponseHeader, watchId: number, events: readonly ReadonlyEvent[], fragment: boolean): WatchBatch {
  return { header, watchId, events, compactRevision: 0, canceled: false, cancelReason: '', fragment, progressNotify: false };
}

/** `events` split into parts of about `limit` bytes at most (a larger event alone), in order. */
function fragments(events: readonly ReadonlyEvent[], limit: number): ReadonlyEvent[][] {
  const parts: ReadonlyEvent[][] = [];
  let part: ReadonlyEvent[] = [];
  let size = 0;
  for (const e of events) {
    const n = e.kv.key.length + e.kv.value.length + 64;
    if (part.length > 0 && size + n > limit) {
      parts.push(part);
      part = [];
      size = 0;
    }
    part.push(e);
    size += n;
  }
  parts.push(part);
  return parts;
}

/** A copy of an event whose `prevKv` may be set. */
function copyEvent(e: ReadonlyEvent): Event {
  return { type: e.type, kv: e.kv };
}

/** Whether `key` lies in the watched range `[start, end)` (`end` empty: `start` alone; `"\0"`: no bound). */
function inByteRange(start: Uint8Array, end: Uint8Array, key: Uint8Array): boolean {
  if (end.length === 0) return key.length === start.length && compareBytes(key, start) === 0;
  if (compareBytes(key, start) < 0) return false;
  return (end.length === 1 && end[0] === 0) || compareBytes(key, end) < 0;
}

/** Events (in revision order) grouped by revision, in order. */
function groupByRevision(events: readonly ReadonlyEvent[]): [number, ReadonlyEvent[]][] {
  const out: [number, ReadonlyEvent[]][] = [];
  for (const e of events) {
    const rev = e.kv.modRevision;
    const lastGroup = out[out.length - 1];
    if (lastGroup !== undefined && lastGroup[0] === rev) lastGroup[1].push(e);
    else out.push([rev, [e]]);
  }
  return out;
}
