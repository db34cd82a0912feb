import { describe, expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { crc32c } from '../../src/storage/crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A bit-at-a-time reference implementation to compare the table-driven one against. */
function naive(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  // Vectors from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
  test.each([
    { name: 'empty', input: new Uint8Array(0), want: 0x00000000 },
    { name: '"123456789"', input: ascii('123456789'), want: 0xe3069283 },
    { name: '32 zero bytes', input: new Uint8Array(32), want: 0x8a9136aa },
    { name: '32 0xff bytes', input: new Uint8Array(32).fill(0xff), want: 0x62a8ab43 },
    { name: '0..31 ascending', input: Uint8Array.from({ length: 32 }, (_, i) => i), want: 0x46dd794e },
    { name: '31..0 descending', input: Uint8Array.from({ length: 32 }, (_, i) => 31 - i), want: 0x113fdb5c },
  ])('$name', ({ input, want }) => {
    expect(crc32c(input)).toBe(want);
  });

  test('matches a bit-at-a-time reference for every length 0..300 and odd offsets', () => {
    const buf = Uint8Array.from({ length: 301 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= 300; n++) {
      const view = buf.subarray(1, 1 + n);
      expect(crc32c(view)).toBe(naive(view));
    }
  });

  test('continues across buffers', () => {
    const all = ascii('hello, raftkit storage');
    expect(crc32c(all.subarray(7), crc32c(all.subarray(0, 7)))).toBe(crc32c(all));
  });

  const random = (seed: number, length: number): Uint8Array => {
    const rng = new SeededRng(seed);
    return Uint8Array.from({ length }, () => rng.nextInt(256));
  };

  test('matches the reference on seeded random bytes of every length 0..300 at offsets 0..16 (Uint8Array and Buffer)', () => {
    const buf = random(9, 320);
    for (let off = 0; off <= 16; off++) {
      for (let n = 0; n + off <= buf.length && n <= 300; n++) {
        const view = buf.subarray(off, off + n);
        const want = naive(view);
        expect(crc32c(view)).toBe(want);
        expect(crc32c(Buffer.from(view.buffer, view.byteOffset, view.byteLength))).toBe(want);
      }
    }
  });

  test('continuing from any split point and from any prior checksum matches the reference', () => {
    const buf = random(10, 200);
    const whole = naive(buf);
    for (let at = 0; at <= buf.length; at++) expect(crc32c(buf.subarray(at), crc32c(buf.subarray(0, at)))).toBe(whole);
    const rng = new SeededRng(11);
    for (let k = 0; k < 50; k++) {
      const prior = rng.nextUint32();
      const view = buf.subarray(rng.nextInt(20), 20 + rng.nextInt(180));
      expect(crc32c(view, prior)).toBe(naive(view, prior));
    }
  });

  test('matches the reference on a 1 MiB input and on its 64 KiB chunks chained', () => {
    const buf = random(12, (1 << 20) + 5);
    const want = naive(buf);
    expect(crc32c(buf)).toBe(want);
    let crc = 0;
    for (let at = 0; at < buf.length; at += 65_536) crc = crc32c(buf.subarray(at, at + 65_536), crc);
    expect(crc).toBe(want);
  });
});
