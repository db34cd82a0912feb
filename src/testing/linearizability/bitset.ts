/**
 * A fixed-size set of small integers over a `Uint32Array`, with an incremental
 * 32-bit hash so the search can memoize "which operations are linearized" cheaply.
 *
 * The hash is Zobrist-style: each member contributes a pseudo-random word, XORed in on
 * `add` and out on `remove`, so it costs O(1) per change. Equal sets have equal hashes;
 * unequal sets may collide, so callers confirm with {@link Bitset.equals}.
 */
export class Bitset {
  /** The words: bit `i % 32` of word `i >>> 5` is member `i`. */
  readonly words: Uint32Array;
  /** The Zobrist hash of the current members. */
  hash = 0;

  /** @param size - the number of possible members, `0 .. size - 1`. */
  constructor(size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  /** Adds `i` (which must not be a member). */
  add(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.hash ^= zobrist(i);
  }

  /** Removes `i` (which must be a member). */
  remove(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.hash ^= zobrist(i);
  }

  /** Whether `i` is a member. */
  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Whether `words` (of the same length) holds exactly the same members. */
  equals(words: Uint32Array): boolean {
    const mine = this.words;
    for (let w = 0; w < mine.length; w++) if (mine[w] !== words[w]) return false;
    return true;
  }

  /** A copy of the words, to keep in a cache. */
  snapshot(): Uint32Array {
    return this.words.slice();
  }
}

/** A fixed pseudo-random 32-bit word for member `i` (a SplitMix-style finalizer). */
function zobrist(i: number): number {
  let z = Math.imul(i + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
