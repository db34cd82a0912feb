import { SLOT, type Scratch } from './scratch.js';

/**
 * The set of linearized operations of a search, over a `Uint32Array`, with an
 * incremental 32-bit hash and the bounds of its partial window for the configuration cache.
 *
 * Members `0 .. required - 1` are the operations that must be linearized, numbered in
 * call order; members from `unknownBase` (the next multiple of 32) on are the
 * unknown-outcome ones. Only required members are hashed: the cache looks configurations
 * up by their required part and compares the unknown part by inclusion.
 *
 * The hash is Zobrist-style: each member contributes a pseudo-random word, XORed in on
 * `add` and out on `remove`, so it costs O(1) per change. Equal sets have equal hashes;
 * unequal sets may collide, so the cache compares the words too.
 *
 * A just-in-time search linearizes operations roughly in call order: the required part is
 * a run of full words, then a few partial ones, then empty words. {@link LinearizedSet.window}
 * finds the partial window (from the first non-full word to the last non-empty one), which
 * is all the cache needs to keep of the required part.
 */
export class LinearizedSet {
  /** The words: bit `i % 32` of word `i >>> 5` is member `i`. */
  readonly words: Uint32Array;
  /** The Zobrist hash of the required members. */
  hash = 0;
  /** The first member id of the unknown part (a multiple of 32). */
  readonly unknownBase: number;
  /** The number of words of the required part (the unknown part's words follow). */
  readonly requiredWords: number;
  private readonly lastWordMask: number;
  /** A lower bound of the first required word that is not full; exact after {@link LinearizedSet.window}. */
  lo = 0;
  /** An upper bound (exclusive) of the last required word that is not empty; exact after {@link LinearizedSet.window}. */
  hi = 0;

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

  /** Makes `lo` and `hi` exact: the required words before `lo` are full, those from `hi` on empty (`lo <= hi`). */
  window(): void {
    const { words } = this;
    const last = this.requiredWords - 1;
    while (this.lo < this.requiredWords && words[this.lo] === (this.lo === last ? this.lastWordMask : 0xffffffff)) this.lo++;
    if (this.hi < this.lo) this.hi = this.lo;
    while (this.hi > this.lo && words[this.hi - 1] === 0) this.hi--;
  }
}

/** A fixed pseudo-random 32-bit word for member `i` (a SplitMix-style finalizer). */
function zobrist(i: number): number {
  let z = Math.imul(i + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
