/**
 * Typed arrays lent to one search after another. A search needs some twenty arrays sized by
 * its partition, and allocating a typed array of a few hundred elements (memory outside
 * the JS heap) costs about as much as a hundred model steps: on histories of a few hundred
 * operations, more than the search itself. A {@link Scratch} keeps one buffer per kind of
 * array, grown as needed, and hands out views of the length asked for.
 */

/** Above this many elements an array is allocated afresh: its search costs far more, and the pool stays small (a few MB at most). */
const MAX_POOLED = 1 << 14;

/** The typed arrays a {@link Scratch} lends. */
type Typed = Int32Array | Uint32Array | Uint8Array | Float64Array;

/** One kind of typed array: a buffer per slot, and the last view handed out of it. */
class Pool<T extends Typed> {
  private readonly buffers: T[] = [];
  /** The last view of each slot: a search of the same size as the last one gets it again (no allocation). */
  private readonly views: T[] = [];
  private readonly make: (length: number) => T;

  constructor(make: (length: number) => T) {
    this.make = make;
  }

  /** A view of `length` elements of buffer `slot`, contents unspecified. */
  get(slot: number, length: number): T {
    if (length > MAX_POOLED) return this.make(length);
    const last = this.views[slot];
    if (last?.length === length) return last;
    let buffer = this.buffers[slot];
    if (buffer === undefined || buffer.length < length) this.buffers[slot] = buffer = this.make(capacity(length));
    const view = buffer.subarray(0, length) as T;
    this.views[slot] = view;
    return view;
  }
}

/** Buffers lent to one search at a time; see {@link takeScratch}. */
export class Scratch {
  private readonly i32 = new Pool((length) => new Int32Array(length));
  private readonly u32 = new Pool((length) => new Uint32Array(length));
  private readonly u8 = new Pool((length) => new Uint8Array(length));
  private readonly f64 = new Pool((length) => new Float64Array(length));

  /**
   * An `Int32Array` of `length` elements, contents unspecified: buffer `slot` of this
   * scratch, so two arrays of one search need different slots.
   */
  int32(slot: number, length: number): Int32Array {
    return this.i32.get(slot, length);
  }

  /** A `Uint32Array` of `length` elements, contents unspecified; see {@link Scratch.int32} for `slot`. */
  uint32(slot: number, length: number): Uint32Array {
    return this.u32.get(slot, length);
  }

  /** A `Uint32Array` of `length` elements, all zero; see {@link Scratch.int32} for `slot`. */
  zeroUint32(slot: number, length: number): Uint32Array {
    return this.u32.get(slot, length).fill(0);
  }

  /** A `Uint8Array` of `length` elements, all zero; see {@link Scratch.int32} for `slot`. */
  zeroUint8(slot: number, length: number): Uint8Array {
    return this.u8.get(slot, length).fill(0);
  }

  /** A `Float64Array` of `length` elements, contents unspecified; see {@link Scratch.int32} for `slot`. */
  float64(slot: number, length: number): Float64Array {
    return this.f64.get(slot, length);
  }
}

/** The next power of two from `length` (at least 64), so that a pool grows a few times at most. */
function capacity(length: number): number {
  let c = 64;
  while (c < length) c *= 2;
  return c;
}

/** The scratch not lent out, if any. */
let free: Scratch | undefined;

/**
 * Lends a scratch to a search, which gives it back with {@link releaseScratch} when done
 * (its arrays must not be used after that). A search started while another holds the
 * scratch (a model that checks a history inside `step`) gets one of its own.
 */
export function takeScratch(): Scratch {
  const scratch = free ?? new Scratch();
  free = undefined;
  return scratch;
}

/** Gives a scratch back for the next search. */
export function releaseScratch(scratch: Scratch): void {
  free = scratch;
}

/**
 * The slots of a search's arrays, per element type (each type numbers its own): every array
 * a search holds at once has a slot of its own.
 */
export const SLOT = {
  /** `Int32Array`s. */
  int32: { next: 0, prev: 1, opOf: 2, callOf: 3, returnOf: 4, byCall: 5, byReturn: 6, stackOp: 7, stackSid: 8, stackK: 9, unkNext: 10, unkPrev: 11, prevSame: 12, prevSameReq: 13, sortTemp: 14, stackStart: 15, stackCount: 16, cands: 17, cacheHeads: 18, cacheEntries: 19 },
  /** `Float64Array`s. */
  float64: { time: 0, calls: 1, returns: 2, stackLimit: 3 },
  /** `Uint8Array`s. */
  uint8: { isCall: 0, stackPhase: 1, pure: 2 },
  /** `Uint32Array`s. */
  uint32: { words: 0, cachePool: 1 },
} as const;
