import type { LinearizedSet } from './bitset.js';
import { SLOT, type Scratch } from './scratch.js';

/**
 * Numbers model states by their hash (and {@link Model.equal}, when given), so the
 * configuration cache compares small integers instead of strings.
 */
export class StateTable<State> {
  /** Without `equal`: ids by hash. */
  private readonly byHash = new Map<string, number>();
  /** With `equal`: the states (and ids) of each hash. */
  private readonly lists = new Map<string, { state: State; id: number }[]>();
  /** Primitive states seen, by value, so that one met again is not hashed again. */
  private readonly primitives = new Map<State, number>();
  private count = 0;
  private readonly hash: (s: State) => string;
  private readonly equal: ((a: State, b: State) => boolean) | undefined;

  constructor(hash: (s: State) => string, equal: ((a: State, b: State) => boolean) | undefined) {
    this.hash = hash;
    this.equal = equal;
  }

  idOf(state: State): number {
    const primitive = typeof state !== 'object' || state === null;
    if (primitive) {
      const seen = this.primitives.get(state);
      if (seen !== undefined) return seen;
    }
    const id = this.equal === undefined ? this.byHashOnly(state) : this.byEqual(state, this.equal);
    if (primitive) this.primitives.set(state, id);
    return id;
  }

  private byHashOnly(state: State): number {
    const h = this.hash(state);
    let id = this.byHash.get(h);
    if (id === undefined) {
      id = this.count++;
      this.byHash.set(h, id);
    }
    return id;
  }

  private byEqual(state: State, equal: (a: State, b: State) => boolean): number {
    const h = this.hash(state);
    let list = this.lists.get(h);
    if (list === undefined) {
      list = [];
      this.lists.set(h, list);
    }
    for (const entry of list) if (entry.state === state || equal(entry.state, state)) return entry.id;
    const id = this.count++;
    list.push({ state, id });
    return id;
  }
}

/** Fields of an entry of the {@link ConfigurationCache} (an entry is `STRIDE` consecutive ints). */
const KEY = 0;
const SID = 1;
const LO = 2;
const LENGTH = 3;
/** Where the window's `LENGTH` words start in the pool. */
const WORDS = 4;
/** Where the unknown part's words start in the pool, or NONE when no unknown operation is a member. */
const UNKNOWN = 5;
const NEXT = 6;
const STRIDE = 7;
const NONE = -1;

/**
 * Memo of configurations already explored: (linearized set, model state). Reaching a
 * configuration again cannot lead anywhere new, and neither can one with the same
 * required operations and state but more unknown operations linearized (it has fewer
 * options left), so the search prunes both.
 *
 * It lives in typed arrays, allocating nothing per entry: each entry keeps its key, the
 * state id, the set's window (see {@link LinearizedSet.window}) and its unknown part, both
 * as words in a shared pool; entries are chained per bucket of a table indexed by the key.
 */
export class ConfigurationCache {
  private heads: Int32Array;
  private mask: number;
  private entries: Int32Array;
  private count = 0;
  private pool: Uint32Array;
  private poolTop = 0;
  private readonly scratch: Scratch | undefined;

  /**
   * @param expected - about how many configurations to expect (the table grows past it).
   * @param scratch - optional: where the arrays come from (they live as long as the search that lent it).
   */
  constructor(expected = 64, scratch?: Scratch) {
    this.scratch = scratch;
    let buckets = 64;
    while (buckets < expected) buckets *= 2;
    this.mask = buckets - 1;
    this.heads = this.int32(SLOT.int32.cacheHeads, buckets).fill(NONE);
    this.entries = this.int32(SLOT.int32.cacheEntries, buckets * STRIDE);
    this.pool = this.uint32(SLOT.uint32.cachePool, buckets * 2);
  }

  /** Records the configuration; returns false if it (or one that covers it) was already there. */
  add(set: LinearizedSet, sid: number): boolean {
    set.window();
    const key = (set.hash ^ Math.imul(sid + 1, 0x9e3779b1)) | 0;
    const { entries } = this;
    let stale = 0;
    for (let e = this.heads[key & this.mask]!; e !== NONE; e = entries[e + NEXT]!) {
      if (entries[e + KEY] !== key || entries[e + SID] !== sid || !this.matches(set, e)) continue;
      if (this.covers(set, e)) return false;
      if (this.coveredBy(set, e)) stale++;
    }
    // Keep each (required set, state) an antichain of unknown sets: drop the ones this configuration covers.
    if (stale > 0) this.prune(key, set, sid);
    this.append(key, set, sid);
    return true;
  }

  /** Whether entry `e` has exactly the required members of `set` (whose window is exact). */
  private matches(set: LinearizedSet, e: number): boolean {
    const { entries } = this;
    const { lo, words } = set;
    const length = set.hi - lo;
    if (entries[e + LO] !== lo || entries[e + LENGTH] !== length) return false;
    const { pool } = this;
    const at = entries[e + WORDS]!;
    for (let w = 0; w < length; w++) if (pool[at + w] !== words[lo + w]) return false;
    return true;
  }

  /**
   * Whether the unknown members of entry `e` are a subset of those of `set`. A configuration
   * that linearized fewer unknown operations (and the same required ones, in the same
   * state) can do everything this one can, since unknown operations may be left out.
   */
  private covers(set: LinearizedSet, e: number): boolean {
    const at = this.entries[e + UNKNOWN]!;
    if (at === NONE) return true;
    const { words, requiredWords } = set;
    const { pool } = this;
    for (let w = requiredWords; w < words.length; w++) if ((pool[at + w - requiredWords]! & ~words[w]!) !== 0) return false;
    return true;
  }

  /** Whether the unknown members of `set` are a subset of those of entry `e`. */
  private coveredBy(set: LinearizedSet, e: number): boolean {
    const at = this.entries[e + UNKNOWN]!;
    const { words, requiredWords } = set;
    const { pool } = this;
    for (let w = requiredWords; w < words.length; w++) {
      if ((words[w]! & ~(at === NONE ? 0 : pool[at + w - requiredWords]!)) !== 0) return false;
    }
    return true;
  }

  /** Unchains the entries of the key's bucket that `set` (same required members and state) covers. */
  private prune(key: number, set: LinearizedSet, sid: number): void {
    const { entries, heads } = this;
    const bucket = key & this.mask;
    let last = NONE;
    for (let e = heads[bucket]!; e !== NONE; e = entries[e + NEXT]!) {
      if (entries[e + KEY] === key && entries[e + SID] === sid && this.matches(set, e) && this.coveredBy(set, e)) {
        entries[e + SID] = NONE; // no longer in the table (see rehash)
        if (last === NONE) heads[bucket] = entries[e + NEXT]!;
        else entries[last + NEXT] = entries[e + NEXT]!;
      } else last = e;
    }
  }

  /** Adds an entry for `set` (whose window is exact) in state `sid`. */
  private append(key: number, set: LinearizedSet, sid: number): void {
    if ((this.count + 1) * STRIDE > this.entries.length) this.grow();
    const { words, lo, requiredWords } = set;
    const length = set.hi - lo;
    let unknown = false;
    for (let w = requiredWords; w < words.length && !unknown; w++) unknown = words[w] !== 0;
    const need = length + (unknown ? words.length - requiredWords : 0);
    if (this.poolTop + need > this.pool.length) this.pool = this.copyInto(this.pool, SLOT.uint32.cachePool, 2 * (this.poolTop + need));
    const { pool, entries } = this;
    const e = this.count++ * STRIDE;
    entries[e + KEY] = key;
    entries[e + SID] = sid;
    entries[e + LO] = lo;
    entries[e + LENGTH] = length;
    let top = this.poolTop;
    entries[e + WORDS] = top;
    for (let w = lo; w < lo + length; w++) pool[top++] = words[w]!;
    entries[e + UNKNOWN] = unknown ? top : NONE;
    if (unknown) for (let w = requiredWords; w < words.length; w++) pool[top++] = words[w]!;
    this.poolTop = top;
    const bucket = key & this.mask;
    entries[e + NEXT] = this.heads[bucket]!;
    this.heads[bucket] = e;
  }

  /** Doubles the room for entries and the table, and chains every entry still in it again. */
  private grow(): void {
    const entries = this.copyInto(this.entries, SLOT.int32.cacheEntries, this.entries.length * 2);
    this.entries = entries;
    const buckets = (this.mask + 1) * 2;
    this.mask = buckets - 1;
    const heads = (this.heads = this.int32(SLOT.int32.cacheHeads, buckets).fill(NONE));
    for (let e = 0; e < this.count * STRIDE; e += STRIDE) {
      if (entries[e + SID] === NONE) continue;
      const bucket = entries[e + KEY]! & this.mask;
      entries[e + NEXT] = heads[bucket]!;
      heads[bucket] = e;
    }
  }

  /** A larger array of the same slot holding `from`'s contents. */
  private copyInto<T extends Int32Array | Uint32Array>(from: T, slot: number, length: number): T {
    const to = (from instanceof Int32Array ? this.int32(slot, length) : this.uint32(slot, length)) as T;
    if (to.buffer !== from.buffer || to.byteOffset !== from.byteOffset) to.set(from);
    return to;
  }

  private int32(slot: number, length: number): Int32Array {
    return this.scratch === undefined ? new Int32Array(length) : this.scratch.int32(slot, length);
  }

  private uint32(slot: number, length: number): Uint32Array {
    return this.scratch === undefined ? new Uint32Array(length) : this.scratch.uint32(slot, length);
  }
}
