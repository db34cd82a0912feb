import { expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { fromKey, toKey } from '../../src/kv/mvcc/bytes.js';
import { decodeRevision, encodeRevision, writeU64 } from '../../src/kv/mvcc/revision.js';

/** The plain reference: one character per byte. */
const naiveKey = (b: Uint8Array): string => Array.from(b, (x) => String.fromCharCode(x)).join('');

test('a key becomes one character per byte, at every length (chunk edges included) and round-trips', () => {
  const rng = new SeededRng(9);
  for (const n of [0, 1, 2, 255, 4095, 4096, 4097, 8192, 8193, 20_000]) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = rng.nextInt(256);
    expect(toKey(b)).toBe(naiveKey(b));
    expect(fromKey(toKey(b))).toEqual(b);
    // A view into a larger buffer reads only its own bytes.
    const wide = new Uint8Array(n + 6);
    wide.set(b, 3);
    expect(toKey(wide.subarray(3, 3 + n))).toBe(naiveKey(b));
  }
});

test('revisions are written as BigInt big-endian bytes would be, for any safe integer', () => {
  const rng = new SeededRng(5);
  const mains = [0, 1, 255, 256, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001, Number.MAX_SAFE_INTEGER];
  for (let i = 0; i < 200; i++) mains.push(Math.floor(rng.nextInt(1 << 30) * 2 ** rng.nextInt(24)) + rng.nextInt(1 << 20));
  for (const main of mains) {
    for (const sub of [0, 1, main % 1000]) {
      const want = new Uint8Array(18);
      const dv = new DataView(want.buffer);
      dv.setBigUint64(0, BigInt(main));
      want[8] = 0x5f;
      dv.setBigUint64(9, BigInt(sub));
      want[17] = 0x74;
      expect(encodeRevision({ main, sub })).toEqual(want.subarray(0, 17));
      expect(encodeRevision({ main, sub }, true)).toEqual(want);
      expect(decodeRevision(encodeRevision({ main, sub }, true))).toEqual({ rev: { main, sub }, tombstone: true });
      const at = new Uint8Array(10);
      writeU64(at, 2, main);
      expect(at.subarray(2)).toEqual(want.subarray(0, 8));
    }
  }
});
