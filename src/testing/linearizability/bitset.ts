import { SLOT, type Scratch } from './scratch.js';

/**
 * The set of linearized operations of a search, over a `Uint32Array`, with an
 * incremental 32-bit hash and compact snapshots for the configuration cache.
 *
 * Members `0 .. required - 1` are the operations that must be linearized, numbered in
 * call order; members from `unknownBase` (the next multiple of 32) on are the
 * unknown-outcome ones. Only required members are hashed: the cache looks configurations
 * up by their required part and compares the unknown part by inclusion (see
 * {@link LinearizedSet.covers}).
 *
 * The hash is Zobrist-style: each member contributes a pseudo-random word, XORed in on
 * `add` and out on `remove`, so it costs O(1) per change. Equal sets have equal hashes;
 * unequal sets may collide, so callers confirm with {@link LinearizedSet.matches}.
 *
 * Snapshots are compact because a just-in-time search linearizes operations roughly in
 * call order: the required part is a run of full words, then a few partial ones, then
 * empty words. A snapshot keeps only the partial window (from the first non-full word to
 * the last non-empty one) and the unknown words.
 */
export class LinearizedSet {
  /** The words: bit `i % 32` of word `i >>> 5` is member `i`. */
  readonly words: Uint32Array;
  /** The Zobrist hash of the required members. */
  hash = 0;
  /** The first member id of the unknown part (a multiple of 32). */
  readonly unknownBase: number;
  private readonly requiredWords: number;
  private readonly lastWordMask: number;
  /** A lower bound of the first required word that is not full. */
  private lo = 0;
  /** An upper bound (exclusive) of the last required word that is not empty. */
  private hi = 0;

  /**
   * @param required - the number of operations that must be linearized.
   * @param unknown - the number of unknown-outcome operations.
   * @param scratch - optional: where the words come from (they live as long as the search that lent it).
   */
  constructor(required: number, unknown: number, scratch?: Scratch) {
    this.requiredWords = (required + 31) >>> 5;
    this.unknownBase = this.requiredWords << 5;
    const length = this.requiredWords + ((unknown + 31) >>> 5);
    this.words = scratch === undefined ? new Uint32Array(length) : scratch.zeroUint32(SLOT.uint32.words, length);
    const tail = required & 31;
    this.lastWordMask = tail === 0 ? 0xffffffff : 2 ** tail - 1;
  }

  /** Adds `i` (which must not be a member). */
  add(i: number): void {
    const w = i >>> 5;
    this.words[w]! |= 1 << (i & 31);
    if (i < this.unknownBase) {
      this.hash ^= zobrist(i);
      if (w >= this.hi) this.hi = w + 1;
    }
  }

  /** Removes `i` (which must be a member). */
  remove(i: number): void {
    const w = i >>> 5;
    this.words[w]! &= ~(1 << (i & 31));
    if (i < this.unknownBase) {
      this.hash ^= zobrist(i);
      if (w < this.lo) this.lo = w;
    }
  }

  /** Whether `i` is a member. */
  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /**
   * A compact copy of the current members, to keep in a cache, with `sid` (the model
   * state's id) and `next` (the cache's chain) in the same object. Windows of up to two
   * words and an empty unknown part are kept without allocating arrays.
   */
  snapshot(sid: number, next: LinearizedSnapshot | undefined): LinearizedSnapshot {
    this.tighten();
    const { words, lo } = this;
    const length = Math.max(0, this.hi - lo);
    let unknown: Uint32Array | undefined;
    for (let w = this.requiredWords; w < words.length; w++) {
      if (words[w] !== 0) {
        unknown = words.slice(this.requiredWords);
        break;
      }
    }
    return {
      sid,
      lo,
      length,
      w0: length > 0 ? words[lo]! : 0,
      w1: length > 1 ? words[lo + 1]! : 0,
      rest: length > 2 ? words.slice(lo + 2, lo + length) : undefined,
      unknown,
      next,
    };
  }

  /** Whether `s` has exactly the same required members. */
  matches(s: LinearizedSnapshot): boolean {
    this.tighten();
    const { words, lo } = this;
    if (s.lo !== lo || s.length !== Math.max(0, this.hi - lo)) return false;
    if (s.length > 0 && words[lo] !== s.w0) return false;
    if (s.length > 1 && words[lo + 1] !== s.w1) return false;
    const { rest } = s;
    if (rest !== undefined) for (let w = 0; w < rest.length; w++) if (words[lo + 2 + w] !== rest[w]) return false;
    return true;
  }

  /**
   * Whether the unknown members of `s` are a subset of the current ones. A configuration
   * that linearized fewer unknown operations (and the same required ones, in the same
   * state) can do everything this one can, since unknown operations may be left out.
   */
  covers(s: LinearizedSnapshot): boolean {
    if (s.unknown === undefined) return true;
    const { words } = this;
    const base = this.requiredWords;
    for (let w = 0; w < s.unknown.length; w++) if ((s.unknown[w]! & ~words[base + w]!) !== 0) return false;
    return true;
  }

  /** Whether the current unknown members are a subset of those of `s`. */
  coveredBy(s: LinearizedSnapshot): boolean {
    const { words } = this;
    const base = this.requiredWords;
    const theirs = s.unknown;
    for (let w = base; w < words.length; w++) if ((words[w]! & ~(theirs === undefined ? 0 : theirs[w - base]!)) !== 0) return false;
    return true;
  }

  private tighten(): void {
    const { words } = this;
    const last = this.requiredWords - 1;
    while (this.lo < this.requiredWords && words[this.lo] === (this.lo === last ? this.lastWordMask : 0xffffffff)) this.lo++;
    if (this.hi < this.lo) this.hi = this.lo;
    while (this.hi > this.lo && words[this.hi - 1] === 0) this.hi--;
  }
}

/**
 * A compact copy of a {@link LinearizedSet} as the configuration cache keeps it: the
 * partial window of the required part (its first two words inline), the unknown part,
 * the model state's id, and the next entry of the cache's chain.
 */
export interface LinearizedSnapshot {
  /** The model state's id. */
  readonly sid: number;
  /** The first required word that is not full (all before it are). */
  readonly lo: number;
  /** The number of words from `lo` to the last non-empty one (all after it are empty). */
  readonly length: number;
  /** The window's first word (0 when `length` is 0). */
  readonly w0: number;
  /** The window's second word (0 when `length` < 2). */
  readonly w1: number;
  /** The window's words after the first two, if any. */
  readonly rest: Uint32Array | undefined;
  /** The unknown part's words; `undefined` when no unknown operation is a member. */
  readonly unknown: Uint32Array | undefined;
  /** The next snapshot with the same cache key (a chain); replaced when the cache prunes. */
  next: LinearizedSnapshot | undefined;
}

/** A fixed pseudo-random 32-bit word for member `i` (a SplitMix-style finalizer). */
function zobrist(i: number): number {
  let z = Math.imul(i + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
