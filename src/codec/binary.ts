/**
 * The primitives of the binary (format version 2) record bodies: a writer that lays fixed-width
 * little-endian fields into a pooled slab, and a bounds-checked reader that refuses anything
 * out of range with a {@link CodecError} naming the field.
 *
 * Integers: `u8`, `u32` and `u64`. A `u64` holds a non-negative safe integer (a term, an index,
 * a node id) as two `u32` halves, low first; a high half above `0x1fffff` (a value of 2^53 or
 * more) is refused. Lengths are `u32` and are checked against the bytes left before anything is
 * allocated for them.
 *
 * @internal
 * @module
 */
import { EMPTY_BYTES } from '../raft/entry.js';
import { CodecError } from './errors.js';

const TWO_32 = 0x1_0000_0000;
/** The largest high half of a u64 holding a safe integer (2^53 - 1 = 0x1fffff_ffffffff). */
const MAX_SAFE_HIGH = 0x1f_ffff;
/** Slabs are this big; an encoding larger than that gets an array of its own. */
const SLAB_SIZE = 64 * 1024;

/**
 * Writes records into a shared slab: {@link BinaryWriter.begin} reserves exactly the bytes a
 * record needs, the field writes fill them, and {@link BinaryWriter.end} returns the record as
 * a view. A slab region is handed out once and never written again, so the views stay valid for
 * as long as they are kept (they share their `ArrayBuffer` with other encodings, as msgpackr's
 * did). Synchronous use only: begin, write every field, end.
 */
export class BinaryWriter {
  #slab = new Uint8Array(SLAB_SIZE);
  #view = new DataView(this.#slab.buffer);
  #used = 0;
  #start = 0;
  #pos = 0;

  /** Reserves `size` bytes for the next record and starts writing at its first byte. */
  begin(size: number): void {
    if (this.#used + size > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(SLAB_SIZE, size));
      this.#view = new DataView(this.#slab.buffer);
      this.#used = 0;
    }
    this.#start = this.#pos = this.#used;
    this.#used += size;
  }

  /** Skips `n` bytes (a frame header written later through the returned view). */
  skip(n: number): void {
    this.#pos += n;
  }

  /** Writes a byte. */
  u8(v: number): void {
    this.#slab[this.#pos++] = v;
  }

  /** Writes a 32-bit unsigned integer. */
  u32(v: number): void {
    this.#view.setUint32(this.#pos, v, true);
    this.#pos += 4;
  }

  /** Writes a non-negative safe integer as a u64. */
  u64(v: number): void {
    this.#view.setUint32(this.#pos, v >>> 0, true);
    this.#view.setUint32(this.#pos + 4, (v / TWO_32) >>> 0, true);
    this.#pos += 8;
  }

  /** Writes a 64-bit two's complement integer (a lease or member id). */
  i64(v: bigint): void {
    this.#view.setBigInt64(this.#pos, v, true);
    this.#pos += 8;
  }

  /** Writes a 64-bit float (any number). */
  f64(v: number): void {
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
  }

  /** Writes a u16. */
  u16(v: number): void {
    this.#view.setUint16(this.#pos, v, true);
    this.#pos += 2;
  }

  /** Writes raw bytes (no length). */
  raw(b: Uint8Array): void {
    if (b.length === 0) return;
    this.#slab.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** Writes a u32 length, then the bytes. */
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b);
  }

  /**
   * Writes a UTF-8 string as a u32 length then its bytes. The record's size given to `begin`
   * must count {@link maxStringSize} for it (the most bytes it can take); what it does not use
   * is given back by {@link BinaryWriter.end}.
   */
  string(s: string): void {
    const at = this.#pos;
    const n = s.length === 0 ? 0 : encoder.encodeInto(s, this.#slab.subarray(at + 4)).written;
    this.#view.setUint32(at, n, true);
    this.#pos = at + 4 + n;
  }

  /**
   * Finishes the record and returns it. The bytes reserved but not written (string slack) are
   * given back when nothing was reserved after them.
   */
  end(): Uint8Array {
    const start = this.#start;
    const pos = this.#pos;
    this.#used = pos;
    return this.#slab.subarray(start, pos);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The longest UTF-8 encoding of a string of `s.length` UTF-16 units: what
 * {@link BinaryWriter.string} reserves.
 */
export function maxStringSize(s: string): number {
  return 4 + 3 * s.length;
}

/** Copies of at most this many bytes share a pool buffer; larger ones get their own array. */
const POOLED_COPY_MAX = 1024;
const COPY_POOL_SIZE = 8 * 1024;
let copyPool = new Uint8Array(COPY_POOL_SIZE);
let copyPoolUsed = 0;

/**
 * A private copy of `src[start, end)`. Small copies are carved from a shared 8 KiB pool (as
 * Node's `Buffer.allocUnsafe` does): allocating a fresh array of a few hundred bytes costs more
 * than decoding it. A pool region is handed out once and never written again, so a kept copy
 * is never overwritten; it keeps at most its 8 KiB pool buffer alive.
 */
export function privateCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  const out = pooledBytes(end - start);
  out.set(src.subarray(start, end));
  return out;
}

/**
 * A new array of `n` zero bytes, carved from the same shared pool as {@link privateCopy}'s
 * copies when small (same rules: the region is the caller's alone, and it keeps at most its
 * 8 KiB pool buffer alive). Its `buffer` is shared: address it through `byteOffset`.
 */
export function pooledBytes(n: number): Uint8Array {
  if (n > POOLED_COPY_MAX) return new Uint8Array(n);
  if (copyPoolUsed + n > COPY_POOL_SIZE) {
    copyPool = new Uint8Array(COPY_POOL_SIZE);
    copyPoolUsed = 0;
  }
  const out = copyPool.subarray(copyPoolUsed, copyPoolUsed + n);
  copyPoolUsed += n;
  return out;
}

/**
 * Reads a binary record body. Every read checks the bytes left and throws a
 * {@link CodecError} naming `record` and the field when they are too few or the value is out
 * of range; nothing else is ever thrown.
 */
export class BinaryReader {
  #buf: Uint8Array;
  #pos: number;
  #end: number;
  /** The record's name, for error messages. */
  readonly record: string;

  /**
   * @param buf - the record.
   * @param start - where the body starts.
   * @param record - the record's name (for error messages).
   */
  constructor(buf: Uint8Array, start: number, record: string) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = buf.length;
    this.record = record;
  }

  /** The bytes not read yet. */
  get left(): number {
    return this.#end - this.#pos;
  }

  /**
   * Continues on a private copy of the bytes not read yet (see {@link privateCopy}), so that
   * byte fields read from now on are views into that copy and never keep the caller's array
   * (or the chunk it is a view of) alive nor see it reused.
   */
  own(): void {
    const rest = privateCopy(this.#buf, this.#pos, this.#end);
    this.#buf = rest;
    this.#pos = 0;
    this.#end = rest.length;
  }

  /** Throws a {@link CodecError}: `field` runs past the end of the record. */
  truncated(field: string): never {
    throw new CodecError(`${this.record}: truncated at ${field}`);
  }

  /** Throws a {@link CodecError}: `field` is not a valid `want`. */
  invalid(field: string, want: string, got: string | number): never {
    throw new CodecError(`${field}: expected ${want}, got ${got}`);
  }

  /** Reads a byte. */
  u8(field: string): number {
    const p = this.#pos;
    if (p >= this.#end) this.truncated(field);
    this.#pos = p + 1;
    return this.#buf[p]!;
  }

  /** Reads a byte that must be in `[0, max]` (an enum value). */
  enumU8(max: number, field: string): number {
    const v = this.u8(field);
    if (v > max) this.invalid(field, `an integer in [0, ${max}]`, v);
    return v;
  }

  /** Reads a u16. */
  u16(field: string): number {
    const p = this.#pos;
    if (p + 2 > this.#end) this.truncated(field);
    this.#pos = p + 2;
    return this.#buf[p]! | (this.#buf[p + 1]! << 8);
  }

  /** Reads a 64-bit float that must be finite (NaN and ±Infinity are refused). */
  f64(field: string): number {
    const p = this.#pos;
    if (p + 8 > this.#end) this.truncated(field);
    this.#pos = p + 8;
    const b = this.#buf;
    const v = new DataView(b.buffer, b.byteOffset + p, 8).getFloat64(0, true);
    if (!Number.isFinite(v)) this.invalid(field, 'a finite number', String(v));
    return v;
  }

  /** Reads a 32-bit unsigned integer. */
  u32(field: string): number {
    const p = this.#pos;
    if (p + 4 > this.#end) this.truncated(field);
    this.#pos = p + 4;
    const b = this.#buf;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x100_0000;
  }

  /** Reads a u64 that must be a safe integer (at most 2^53 - 1). */
  u64(field: string): number {
    const lo = this.u32(field);
    const hi = this.u32(field);
    if (hi > MAX_SAFE_HIGH) this.invalid(field, 'a non-negative safe integer', '2^53 or more');
    return hi * TWO_32 + lo;
  }

  /** Reads a 64-bit two's complement integer. */
  i64(field: string): bigint {
    const lo = this.u32(field);
    const hi = this.u32(field);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /**
   * Reads a u32 count of items each taking at least `minItemSize` bytes, refusing a count the
   * bytes left cannot hold (before the caller allocates anything for it).
   */
  count(minItemSize: number, field: string): number {
    const n = this.u32(field);
    if (n * minItemSize > this.#end - this.#pos) this.invalid(field, `a count the ${this.#end - this.#pos} bytes left can hold`, n);
    return n;
  }

  /** Reads `n` raw bytes as a view (of the private copy after {@link BinaryReader.own}). */
  raw(n: number, field: string): Uint8Array {
    const p = this.#pos;
    if (n > this.#end - p) this.truncated(field);
    this.#pos = p + n;
    return n === 0 ? EMPTY_BYTES : this.#buf.subarray(p, p + n);
  }

  /** Reads a u32 length, then that many bytes. */
  bytes(field: string): Uint8Array {
    return this.raw(this.u32(field), field);
  }

  /** Reads a u32 length, then that many bytes of UTF-8 (refused if not valid UTF-8). */
  string(field: string): string {
    const b = this.raw(this.u32(field), field);
    if (b.length === 0) return '';
    try {
      return decoder.decode(b);
    } catch {
      return this.invalid(field, 'UTF-8', 'invalid bytes');
    }
  }

  /** Refuses bytes left after the last field. */
  done(): void {
    const left = this.#end - this.#pos;
    if (left !== 0) throw new CodecError(`${this.record}: ${left} trailing bytes`);
  }
}
