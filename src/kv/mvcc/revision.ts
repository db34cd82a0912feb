/**
 * A revision of the store: `main` is the store revision of a write txn, `sub` the position of
 * the change inside it (etcd's `revision{main, sub}`). Revisions order by main, then sub.
 */
export interface Revision {
  /** The store revision of the write txn. */
  readonly main: number;
  /** The index of the change inside the txn (0-based). */
  readonly sub: number;
}

/** Compares two revisions: negative, zero or positive as `a` is before, equal to, or after `b`. */
export function compareRevision(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

/** The length of an encoded revision: 8 bytes main, `_`, 8 bytes sub (etcd's layout). */
export const REVISION_BYTES = 17;

/**
 * Encodes a revision as etcd does in its `key` bucket: big-endian main, `_`, big-endian sub,
 * and a trailing `t` for a tombstone. Encoded revisions sort in revision order.
 */
export function encodeRevision(rev: Revision, tombstone = false): Uint8Array {
  const out = new Uint8Array(tombstone ? REVISION_BYTES + 1 : REVISION_BYTES);
  writeU64(out, 0, rev.main);
  out[8] = 0x5f;
  writeU64(out, 9, rev.sub);
  if (tombstone) out[REVISION_BYTES] = 0x74;
  return out;
}

/**
 * Writes a non-negative safe integer as 8 big-endian bytes at `at` (what `setBigUint64` writes,
 * without a BigInt or a DataView per call).
 *
 * @param out - the bytes written.
 * @param at - the offset of the first byte.
 * @param n - the integer (0 ≤ n ≤ 2^53 − 1).
 */
export function writeU64(out: Uint8Array, at: number, n: number): void {
  let hi = Math.floor(n / 0x1_0000_0000);
  let lo = n >>> 0;
  for (let i = 7; i >= 4; i--) {
    out[at + i] = lo & 0xff;
    lo >>>= 8;
  }
  for (let i = 3; i >= 0; i--) {
    out[at + i] = hi & 0xff;
    hi >>>= 8;
  }
}

/** Decodes {@link encodeRevision}'s bytes; `tombstone` tells whether the `t` mark is present. */
export function decodeRevision(bytes: Uint8Array): { rev: Revision; tombstone: boolean } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    rev: { main: Number(dv.getBigUint64(0)), sub: Number(dv.getBigUint64(9)) },
    tombstone: bytes.byteLength > REVISION_BYTES && bytes[REVISION_BYTES] === 0x74,
  };
}
