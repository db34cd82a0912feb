/**
 * A source of randomness for the core. The core never reads ambient randomness: every
 * random choice (the randomized election timeout) comes from an injected `Rng`, so a run
 * can be replayed exactly from its seeds.
 */
export interface Rng {
  /** Returns an integer drawn uniformly from `[0, n)`; `n` is a positive integer. */
  nextInt(n: number): number;
}

function splitmix32(state: number): { state: number; value: number } {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { state: s, value: z >>> 0 };
}

/**
 * A seedable PRNG: xoshiro128** seeded through SplitMix32, so nearby seeds (1, 2, 3)
 * produce unrelated sequences. Not for cryptographic use.
 */
export class SeededRng implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed - any number; its low 32 bits and high bits are both mixed in. */
  constructor(seed: number) {
    const hi = Math.floor(seed / 0x100000000) | 0;
    let st = (seed | 0) ^ Math.imul(hi, 0x27d4eb2d);
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = splitmix32(st);
      st = r.state;
      out.push(r.value);
    }
    this.s0 = out[0]!;
    this.s1 = out[1]!;
    this.s2 = out[2]!;
    this.s3 = out[3]!;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Returns the next 32-bit unsigned integer of the sequence. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Returns a float drawn uniformly from `[0, 1)`. */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** {@inheritDoc Rng.nextInt} */
  nextInt(n: number): number {
    if (!(n > 0)) throw new RangeError(`nextInt: n must be positive, got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
