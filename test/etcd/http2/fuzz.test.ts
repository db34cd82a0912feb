import { expect, test } from 'vitest';
import { AuthorityRewriter } from '../../../src/etcd/http2/authority-rewriter.js';
import { Http2InputError } from '../../../src/etcd/http2/errors.js';
import { CLIENT_PREFACE, FrameFlag, FrameType, frameHeader } from '../../../src/etcd/http2/frames.js';
import { HpackDecoder } from '../../../src/etcd/http2/hpack/decoder.js';
import { encodeHeaderBlock } from '../../../src/etcd/http2/hpack/encoder.js';
import { SeededRng } from '../../../src/raft/rng.js';

// Hostile input is refused with Http2InputError and nothing else (no RangeError, no hang): random
// HPACK blocks, and random frame sequences cut into random chunks, from fixed seeds.
const SEEDS = 300;

function bytes(rng: SeededRng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => rng.nextInt(256)));
}

/** Runs `f`; returns 'ok' or 'refused', and fails the test on any other error. */
function outcome(seed: number, f: () => void): 'ok' | 'refused' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof Http2InputError) return 'refused';
    throw new Error(`seed ${String(seed)}: ${String(err)}`, { cause: err });
  }
}

test(`random HPACK blocks (${String(SEEDS)} seeds): decoded or refused with Http2InputError`, () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rng = new SeededRng(seed);
    const d = new HpackDecoder({ maxHeaderListSize: 8192 });
    for (let i = 0; i < 20; i++) {
      // Half valid blocks with a random tail or a flipped octet, half pure noise.
      const valid = encodeHeaderBlock([{ name: ':authority', value: `http://h:${String(rng.nextInt(9999))}` }, { name: `x-${String(i)}`, value: 'v'.repeat(rng.nextInt(50)) }], rng.nextInt(2) === 0);
      let block = rng.nextInt(2) === 0 ? bytes(rng, rng.nextInt(64)) : Buffer.concat([valid, bytes(rng, rng.nextInt(4))]);
      if (block.length > 0 && rng.nextInt(3) === 0) {
        block = Buffer.from(block);
        const at = rng.nextInt(block.length);
        block[at] = (block[at] ?? 0) ^ (1 << rng.nextInt(8));
      }
      const o = outcome(seed, () => d.decode(block));
      seen.add(o);
      if (o === 'refused') break; // a refused block ends the connection
    }
  }
  expect([...seen].sort()).toEqual(['ok', 'refused']);
});

test(`random frame sequences in random chunks (${String(SEEDS)} seeds): rewritten or refused with Http2InputError`, () => {
  const seen = new Set<string>();
  const types = [FrameType.DATA, FrameType.HEADERS, FrameType.HEADERS, FrameType.CONTINUATION, FrameType.SETTINGS, 2, 3, 6, 7, 8, 0xfa];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rng = new SeededRng(seed);
    const parts: Buffer[] = [CLIENT_PREFACE];
    for (let i = 0; i < 12; i++) {
      const type = types[rng.nextInt(types.length)] ?? 0;
      const payload = type === FrameType.HEADERS && rng.nextInt(2) === 0
        ? encodeHeaderBlock([{ name: ':authority', value: rng.nextInt(2) === 0 ? 'a:1' : 'https://a:1' }, { name: ':path', value: '/p' }])
        : bytes(rng, rng.nextInt(40));
      const flags = rng.nextInt(2) === 0 ? FrameFlag.END_HEADERS : rng.nextInt(256);
      parts.push(frameHeader(payload.length, type, flags, rng.nextInt(4) * 2 + 1), payload);
    }
    const all = Buffer.concat(parts);
    const rw = new AuthorityRewriter({ dropFirstSettingsAck: rng.nextInt(2) === 0, maxHeaderBlockBytes: 4096 });
    const o = outcome(seed, () => {
      let off = 0;
      while (off < all.length) {
        const n = 1 + rng.nextInt(50);
        rw.push(all.subarray(off, off + n));
        off += n;
      }
    });
    seen.add(o);
  }
  expect([...seen].sort()).toEqual(['ok', 'refused']);
});
