import { CompactedRevisionError, FutureRevisionError } from '../errors.js';
import type { KeyValue } from '../types.js';
import type { KeyRange } from './bytes.js';
import { LeaseTable } from './lease-table.js';
import { MvccOpCounts } from './op-counts.js';
import type { Revision } from './revision.js';
import { TreeIndex } from './tree-index.js';
import { ValueCache } from './value-cache.js';
import { ChurnMap } from '../../churn-map.js';

/** The default budget of the store's value cache (`ValueCache`), in bytes: 64 MiB. */
export const DEFAULT_VALUE_CACHE_BYTES = 64 * 1024 * 1024;

/** Reads durable records by revision (the backend: an abstract-level db, or memory in tests). */
export interface ValueReader {
  /** The key-values stored at `revs`, in the same order. */
  read(revs: readonly Revision[]): Promise<KeyValue[]>;
}

/** One change of a write txn: the revision and the key-value written (a tombstone has `version` 0). */
export interface Change {
  /** The change's revision. */
  rev: Revision;
  /** The record: for a put the new key-value; for a delete the key with `modRevision` set. */
  kv: KeyValue;
  /** Whether this change deletes the key. */
  tombstone: boolean;
  /** The revision of the key's previous record, when the key existed before the change. */
  prev: Revision | undefined;
}

/** Options of {@link ReadView.rangeKeys} (etcd's `mvcc.RangeOptions`). */
export interface RangeKeysOptions {
  /** At most this many key-values (0 = all). */
  limit: number;
  /** The revision read (<= 0 = the view's). */
  rev: number;
  /** Count only. */
  count: boolean;
}

/** The result of {@link ReadView.rangeKeys} (etcd's `mvcc.RangeResult`). */
export interface RangeKeysResult {
  /** The key-values found, ascending by key, cut at the limit. */
  kvs: KeyValue[];
  /** How many keys the range holds at the revision read (before the limit). */
  count: number;
  /** The view's revision (not the one read). */
  rev: number;
}

/** A consistent view of the store at one revision (etcd's `ReadView`). */
export interface ReadView {
  /** The compacted revision (the lowest readable one), -1 before any compaction. */
  readonly firstRev: number;
  /** The view's revision. */
  readonly rev: number;
  /** Reads a key range; rejects with {@link CompactedRevisionError} or {@link FutureRevisionError}. */
  rangeKeys(range: KeyRange, ro: RangeKeysOptions): Promise<RangeKeysResult>;
  /**
   * Optional: the same read answered at once when it needs no backend read, else undefined
   * (then read through `rangeKeys`); throws what `rangeKeys` rejects with.
   */
  rangeKeysNow?(range: KeyRange, ro: RangeKeysOptions): RangeKeysResult | undefined;
}

/** The string form of a revision, for sets and maps. */
export const revKey = (r: Revision): string => `${r.main}_${r.sub}`;

/**
 * The MVCC store's in-memory state: the key index, the lease table, the applied and the
 * visible revision, and the compacted revision. Values live in the backend ({@link ValueReader});
 * those written by the apply in progress wait in `pending` until their batch is durable, then
 * join the most recently read ones in a `ValueCache`, from which reads are served first.
 *
 * Invariant: `visibleRev <= rev`; readers of the public API read at `visibleRev` only, so they
 * never see a revision whose batch is not yet durable.
 */
export class MvccStore {
  /** The key index. */
  readonly index = new TreeIndex();
  /** The lease table. */
  readonly leases = new LeaseTable();
  /** The store operations this member ran, for etcd's `etcd_mvcc_*_total` metrics. */
  readonly ops = new MvccOpCounts();
  /** The latest applied revision (1 for an empty store, as etcd). */
  rev = 1;
  /** The latest durable revision, the one readers see. */
  visibleRev = 1;
  /** The compacted revision (-1 before any compaction). */
  compactRev = -1;
  /**
   * Key-values written by the apply in progress, by revision (`main_sub`).
   * @internal
   */
  readonly pending = new ChurnMap<string, KeyValue>();
  /** The revisions the apply in progress superseded (each a key's previous record): see {@link MvccStore.supersede}. */
  private superseded: Revision[] = [];
  /** The revisions the last committed batch superseded: they leave the cache at the next commit. */
  private dropping: Revision[] = [];
  private readonly reads = new Set<Promise<unknown>>();
  private readonly reader: ValueReader;
  private readonly cache: ValueCache;
  /** Bumped by {@link MvccStore.reset}: a backend read started before it must not fill the cache. */
  private epoch = 0;

  /**
   * @param reader - where durable values are read from.
   * @param cacheBytes - the budget of the value cache in bytes (0: every read goes to `reader`).
   */
  constructor(reader: ValueReader, cacheBytes = DEFAULT_VALUE_CACHE_BYTES) {
    this.reader = reader;
    this.cache = new ValueCache(cacheBytes);
  }

  /** How many key-values the value cache holds. */
  get cachedValues(): number {
    return this.cache.size;
  }

  /** A view at the visible (durable) revision, for client reads. */
  readView(): ReadView {
    return this.viewAt(this.visibleRev);
  }

  /** A view at the applied revision, for the apply in progress (sees pending writes). */
  appliedView(): ReadView {
    return this.viewAt(this.rev);
  }

  private viewAt(rev: number): ReadView {
    return new StoreView(this, rev);
  }

  /** Reads `range` as of the view revision `curRev` (etcd's `rangeKeys`). */
  async rangeKeys(range: KeyRange, curRev: number, ro: RangeKeysOptions): Promise<RangeKeysResult> {
    const found = this.lookup(range, curRev, ro);
    if (found.revs === undefined) return found.result;
    return { kvs: await this.readRevisions(found.revs), count: found.count, rev: curRev };
  }

  /**
   * {@link MvccStore.rangeKeys} answered at once when every value it returns is in memory (written
   * by the apply in progress, or cached), else undefined (the caller reads through `rangeKeys`).
   * Throws what `rangeKeys` rejects with.
   */
  rangeKeysNow(range: KeyRange, curRev: number, ro: RangeKeysOptions): RangeKeysResult | undefined {
    const found = this.lookup(range, curRev, ro);
    if (found.revs === undefined) return found.result;
    const kvs = this.readRevisionsNow(found.revs);
    return kvs === undefined ? undefined : { kvs, count: found.count, rev: curRev };
  }

  /** The index's part of a range read: the revisions to read and the count, or the whole result of a count-only read. */
  private lookup(range: KeyRange, curRev: number, ro: RangeKeysOptions): { revs: Revision[]; count: number; result?: undefined } | { revs?: undefined; result: RangeKeysResult } {
    let rev = ro.rev;
    if (rev > curRev) throw new FutureRevisionError();
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new CompactedRevisionError();
    if (ro.count) return { result: { kvs: [], count: this.index.count(range, rev), rev: curRev } };
    const hits = this.index.range(range, rev);
    const limit = ro.limit <= 0 || ro.limit > hits.length ? hits.length : ro.limit;
    const revs = new Array<Revision>(limit);
    for (let i = 0; i < limit; i++) revs[i] = hits[i]!.modified;
    return { revs, count: hits.length };
  }

  /** The key-values at `revs` when all are in memory (pending or cached), as {@link MvccStore.readRevisions} hands them out; else undefined. */
  private readRevisionsNow(revs: readonly Revision[]): KeyValue[] | undefined {
    const out = new Array<KeyValue>(revs.length);
    for (let i = 0; i < revs.length; i++) {
      const k = revKey(revs[i]!);
      const cached = this.pending.get(k) ?? this.cache.get(k);
      if (cached === undefined) return undefined;
      out[i] = { ...cached };
    }
    return out;
  }

  /**
   * The key-values at `revs`: pending and cached ones from memory, the rest from the backend
   * (then cached). Cached records are handed out as fresh objects sharing the cached byte arrays,
   * which nobody may modify.
   */
  readRevisions(revs: readonly Revision[]): Promise<KeyValue[]> {
    let missing: Revision[] | undefined;
    const out: (KeyValue | undefined)[] = new Array<KeyValue | undefined>(revs.length);
    for (let i = 0; i < revs.length; i++) {
      const k = revKey(revs[i]!);
      const cached = this.pending.get(k) ?? this.cache.get(k);
      if (cached === undefined) (missing ??= []).push(revs[i]!);
      else out[i] = { ...cached };
    }
    if (missing === undefined) return Promise.resolve(out as KeyValue[]);
    const rest = missing;
    const epoch = this.epoch;
    const p = this.reader.read(rest).then((got) => {
      if (epoch === this.epoch) for (let j = 0; j < rest.length; j++) this.cache.set(revKey(rest[j]!), { ...got[j]! });
      for (let i = 0, j = 0; i < out.length; i++) out[i] ??= got[j++]!;
      return out as KeyValue[];
    });
    return this.trackRead(p);
  }

  /** The backend reads in progress (`etcd_mvcc_db_open_read_transactions`). */
  get openReads(): number {
    return this.reads.size;
  }

  /** Counts `p` among the backend reads that physical compaction waits for ({@link MvccStore.readsSettled}); returns it. */
  trackRead<T>(p: Promise<T>): Promise<T> {
    this.reads.add(p);
    const done = (): void => {
      this.reads.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Resolves when every backend read started before this call has finished (before physical compaction). */
  async readsSettled(): Promise<void> {
    await Promise.allSettled([...this.reads]);
  }

  /**
   * Compacts the index at `rev` (etcd's `kvstore.compact` first half): history before `rev`
   * goes, keys whose whole history is gone leave the index. Returns the revisions at or below
   * `rev` the backend must keep; every other record at or below `rev` may be deleted.
   *
   * @throws {@link CompactedRevisionError} when `rev` is not above the compacted revision,
   * {@link FutureRevisionError} when it is above the applied revision.
   */
  compact(rev: number): Set<string> {
    if (rev <= this.compactRev) throw new CompactedRevisionError();
    if (rev > this.rev) throw new FutureRevisionError();
    this.compactRev = rev;
    const keep = new Set<string>();
    const gone: string[] = [];
    for (const ki of this.index.all()) if (ki.compact(rev, keep, revKey)) gone.push(ki.key);
    for (const k of gone) this.index.remove(k);
    return keep;
  }

  /**
   * The revisions at or below `rev` a compaction at `rev` would keep, without compacting (etcd's
   * `treeIndex.Keep`): each key's latest revision at or before `rev`, unless deleted then.
   */
  keep(rev: number): Set<string> {
    const keep = new Set<string>();
    for (const ki of this.index.all()) ki.keep(rev, keep, revKey);
    return keep;
  }

  /**
   * Notes that the apply in progress replaced `prev`, a key's previous record (by a put or a
   * delete). A superseded record is read only by historical reads and by `prevKv`, so it leaves
   * the value cache one commit after the batch that replaced it: the watch events of that batch
   * still find their `prevKv` in memory, and the cache holds about one entry per live key instead of
   * every revision written (each a long-lived object the garbage collector must keep marking).
   * Reads of it later come from the backend, as reads of any value not cached.
   */
  supersede(prev: Revision): void {
    this.superseded.push(prev);
  }

  /**
   * Marks the applied revision durable (its batch is written); the pending values move to the
   * cache, and the records superseded by the previous committed batch leave it.
   */
  commit(): void {
    this.visibleRev = this.rev;
    for (const r of this.dropping) this.cache.delete(revKey(r));
    // A copy: the written objects also go out in watch events and responses. Tombstones are never read.
    for (const [k, kv] of this.pending) if (kv.version !== 0) this.cache.set(k, { ...kv });
    this.pending.clear();
    const dropped = this.dropping;
    dropped.length = 0;
    this.dropping = this.superseded;
    this.superseded = dropped;
  }

  /** Forgets everything (before a restore). */
  reset(): void {
    this.index.clear();
    this.leases.clear();
    this.pending.clear();
    this.superseded.length = 0;
    this.dropping.length = 0;
    this.cache.clear();
    this.epoch++;
    this.rev = 1;
    this.visibleRev = 1;
    this.compactRev = -1;
  }
}

/**
 * A {@link ReadView} of a store at one revision: an object of a class rather than one with a
 * closure, as views are made per read (under tsx, which names every named closure, a closure per
 * view also cost a `__name` call defining a property on it).
 */
class StoreView implements ReadView {
  readonly firstRev: number;
  readonly rev: number;
  readonly #store: MvccStore;

  constructor(store: MvccStore, rev: number) {
    this.#store = store;
    this.firstRev = store.compactRev;
    this.rev = rev;
  }

  rangeKeys(range: KeyRange, ro: RangeKeysOptions): Promise<RangeKeysResult> {
    return this.#store.rangeKeys(range, this.rev, ro);
  }

  rangeKeysNow(range: KeyRange, ro: RangeKeysOptions): RangeKeysResult | undefined {
    return this.#store.rangeKeysNow(range, this.rev, ro);
  }
}
