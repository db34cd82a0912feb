/**
 * Keys inside the MVCC index are "binary strings": one UTF-16 code unit per byte (0–255). JS
 * compares such strings code unit by code unit, which is exactly bytewise order, and they
 * serve as `Map` keys without copies.
 */

const utf8 = new TextEncoder();

/** Bytes or a UTF-8 string → bytes. */
export function toBytes(b: Uint8Array | string | undefined): Uint8Array {
  if (b === undefined) return new Uint8Array(0);
  return typeof b === 'string' ? utf8.encode(b) : b;
}

/** Bytes → binary string (one char per byte). */
export function toKey(b: Uint8Array): string {
  // `apply` takes the typed array as an array-like: no iterator, no copy (chunks bound the argument count).
  if (b.length <= KEY_CHUNK) return String.fromCharCode.apply(null, b as unknown as number[]);
  let s = '';
  for (let i = 0; i < b.length; i += KEY_CHUNK) s += String.fromCharCode.apply(null, b.subarray(i, i + KEY_CHUNK) as unknown as number[]);
  return s;
}

/** The bytes {@link toKey} turns into characters per call of `String.fromCharCode`. */
const KEY_CHUNK = 4096;

/** Binary string → bytes. */
export function fromKey(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytewise comparison of two byte arrays (negative, zero, positive). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The smallest key greater than every key with `prefix` (etcd's `GetPrefixRangeEnd`): the
 * prefix with its last byte below 0xff incremented and the rest dropped; `"\0"` (every key)
 * when the prefix is all 0xff or empty.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

/**
 * A key range in binary-string form: `end === undefined` is the single key `start`; `end === ''`
 * is every key >= `start` (etcd's `"\0"` range end); otherwise `[start, end)`.
 */
export interface KeyRange {
  /** The first key. */
  start: string;
  /** The end (exclusive), `''` for no bound, or `undefined` for the single key. */
  end: string | undefined;
}

/** Builds a {@link KeyRange} from a request's key and rangeEnd (empty = one key, `"\0"` = no bound). */
export function keyRange(key: Uint8Array, rangeEnd: Uint8Array): KeyRange {
  const start = toKey(key);
  if (rangeEnd.length === 0) return { start, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: '' };
  return { start, end: toKey(rangeEnd) };
}

/** Whether `k` lies in `r`. */
export function inRange(r: KeyRange, k: string): boolean {
  if (r.end === undefined) return k === r.start;
  return k >= r.start && (r.end === '' || k < r.end);
}
