import type { KeyRange } from './bytes.js';
import { KeyIndex } from './key-index.js';
import type { KeyAt } from './key-index.js';

const CHUNK = 512;

/** The first index in sorted `a` whose element is >= `k`. */
function lowerBound(a: readonly string[], k: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An {@link IndexHit} of `key` (no object spread). */
function hit(key: string, at: KeyAt): IndexHit {
  return { key, modified: at.modified, created: at.created, version: at.version };
}

/** One key found by a {@link TreeIndex} range, with its state at the revision read. */
export interface IndexHit extends KeyAt {
  /** The key (binary string). */
  key: string;
}

/**
 * The in-memory index of every key's history (etcd's `treeIndex`), ordered bytewise.
 *
 * The order is kept as a list of sorted chunks of at most 512 keys (a one-level B+-tree): a
 * lookup is two binary searches and an insert or removal moves at most one chunk's elements
 * (plus the chunk list on a split), so a million random inserts stay fast where one sorted
 * array would move half a million elements each time. A `Map` gives O(1) point access.
 */
export class TreeIndex {
  private readonly byKey = new Map<string, KeyIndex>();
  private chunks: string[][] = [];

  /** The number of keys held (live or with history). */
  get size(): number {
    return this.byKey.size;
  }

  /** The key index of `key`, if any. */
  get(key: string): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  /** The key index of `key`, created (empty) when missing. */
  getOrCreate(key: string): KeyIndex {
    let ki = this.byKey.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(key);
      this.insert(ki);
    }
    return ki;
  }

  /** Adds a key index (the key must not be present). */
  insert(ki: KeyIndex): void {
    this.byKey.set(ki.key, ki);
    const key = ki.key;
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      return;
    }
    const ci = this.chunkFor(key);
    const c = this.chunks[ci]!;
    c.splice(lowerBound(c, key), 0, key);
    if (c.length > CHUNK) this.chunks.splice(ci, 1, c.slice(0, c.length >>> 1), c.slice(c.length >>> 1));
  }

  /** Removes a key. */
  remove(key: string): void {
    if (!this.byKey.delete(key)) return;
    const ci = this.chunkFor(key);
    const c = this.chunks[ci]!;
    const i = lowerBound(c, key);
    if (c[i] === key) c.splice(i, 1);
    if (c.length === 0) this.chunks.splice(ci, 1);
  }

  /** The chunk that holds `key` or where it belongs: the last chunk whose first key is <= `key`. */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunks[mid]![0]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  /** Visits the key indexes in `range` in ascending key order; `fn` returns false to stop. */
  visit(range: KeyRange, fn: (ki: KeyIndex) => boolean): void {
    if (range.end === undefined) {
      const ki = this.byKey.get(range.start);
      if (ki !== undefined) fn(ki);
      return;
    }
    if (this.chunks.length === 0) return;
    for (let ci = this.chunkFor(range.start); ci < this.chunks.length; ci++) {
      const c = this.chunks[ci]!;
      for (let i = lowerBound(c, range.start); i < c.length; i++) {
        const k = c[i]!;
        if (range.end !== '' && k >= range.end) return;
        if (!fn(this.byKey.get(k)!)) return;
      }
    }
  }

  /** The keys that exist at `atRev` in `range`, ascending, each with its state then. */
  range(range: KeyRange, atRev: number, limit = 0): IndexHit[] {
    if (range.end === undefined) {
      // One key (a point read, the most common range): no visit, no closure.
      const ki = this.byKey.get(range.start);
      const at = ki?.get(atRev);
      return ki === undefined || at === undefined ? [] : [hit(ki.key, at)];
    }
    const out: IndexHit[] = [];
    this.visit(range, (ki) => {
      const at = ki.get(atRev);
      if (at !== undefined) out.push(hit(ki.key, at));
      return limit <= 0 || out.length < limit;
    });
    return out;
  }

  /** How many keys exist at `atRev` in `range`. */
  count(range: KeyRange, atRev: number): number {
    let n = 0;
    this.visit(range, (ki) => {
      if (ki.get(atRev) !== undefined) n++;
      return true;
    });
    return n;
  }

  /** Removes every key. */
  clear(): void {
    this.byKey.clear();
    this.chunks = [];
  }

  /**
   * Every key index, ascending.
   *
   * @yields {KeyIndex} each key index.
   */
  *all(): IterableIterator<KeyIndex> {
    for (const c of this.chunks) for (const k of c) yield this.byKey.get(k)!;
  }
}
