import { describe, expect, test } from 'vitest';
import { CodecError } from '../../src/codec/errors.js';
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, FrameDecoder } from '../../src/codec/frame.js';
import { decodeMessage, encodeMessage, encodeMessageFrame } from '../../src/codec/message.js';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { SeededRng } from '../../src/raft/rng.js';
import { msgApp, randomMessage } from './helpers.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function header(size: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, size);
  return h;
}

const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9), new Uint8Array([4])];
const stream = concat(payloads.map((p) => encodeFrame(p)));

describe('encodeFrame', () => {
  test('writes a 4-byte big-endian length, then the payload', () => {
    expect(Array.from(encodeFrame(new Uint8Array([7, 8])))).toEqual([0, 0, 0, 2, 7, 8]);
    expect(Array.from(encodeFrame(new Uint8Array(258)).subarray(0, 4))).toEqual([0, 0, 1, 2]);
  });

  test('refuses a payload larger than maxFrameSize', () => {
    expect(() => encodeFrame(new Uint8Array(11), { maxFrameSize: 10 })).toThrow(CodecError);
    expect(encodeFrame(new Uint8Array(10), { maxFrameSize: 10 })).toHaveLength(14);
  });

  test('encodeMessageFrame writes the same bytes as encodeFrame(encodeMessage(m))', () => {
    const rng = new SeededRng(11);
    for (let i = 0; i < 50; i++) {
      const m = randomMessage(rng);
      expect(encodeMessageFrame(m)).toEqual(encodeFrame(encodeMessage(m)));
    }
    expect(() => encodeMessageFrame(msgApp(10, 100), { maxFrameSize: 500 })).toThrow(CodecError);
  });
});

describe('FrameDecoder', () => {
  test('many frames in one chunk, including an empty frame', () => {
    expect(new FrameDecoder().push(stream)).toEqual(payloads);
  });

  test('a chunk that is exactly one frame gives that frame, a view of the chunk, whatever came before', () => {
    for (const p of payloads) {
      const d = new FrameDecoder();
      const chunk = encodeFrame(p);
      const got = d.push(chunk);
      expect(got).toEqual([p]);
      if (p.length > 0) expect(got[0]!.buffer).toBe(chunk.buffer);
      // After a header announcing it, the same chunk is that frame's payload.
      const partial = new FrameDecoder();
      expect(partial.push(header(chunk.length))).toEqual([]);
      expect(partial.push(chunk)).toEqual([chunk]);
      expect(partial.bufferedBytes).toBe(0);
    }
    const small = new FrameDecoder({ maxFrameSize: 3 });
    expect(() => small.push(encodeFrame(new Uint8Array(4)))).toThrow(CodecError);
  });

  test('a stream split into two chunks at every offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got).toEqual(payloads);
      expect(d.bufferedBytes).toBe(0);
      d.end();
    }
  });

  test('a stream fed one byte at a time, and in random chunk sizes', () => {
    const d = new FrameDecoder();
    const got: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(got).toEqual(payloads);
    const rng = new SeededRng(5);
    for (let round = 0; round < 50; round++) {
      const r = new FrameDecoder();
      const out: Uint8Array[] = [];
      for (let off = 0; off < stream.length; ) {
        const n = 1 + rng.nextInt(40);
        out.push(...r.push(stream.subarray(off, off + n)));
        off += n;
      }
      expect(out).toEqual(payloads);
    }
  });

  test('split message frames decode to the original messages', () => {
    const msgs = [msgApp(64, 100), msgApp(0, 0), msgApp(3, 1)];
    const bytes = concat(msgs.map((m) => encodeMessageFrame(m)));
    const d = new FrameDecoder();
    const frames = [...d.push(bytes.subarray(0, 1000)), ...d.push(bytes.subarray(1000, 1003)), ...d.push(bytes.subarray(1003))];
    expect(frames.map(decodeMessage)).toStrictEqual(msgs);
  });

  test('an oversize frame is refused from its header alone, before any allocation', () => {
    const d = new FrameDecoder({ maxFrameSize: 100 });
    expect(d.push(header(100))).toEqual([]);
    expect(d.bufferedBytes).toBe(4);
    const big = new FrameDecoder({ maxFrameSize: 100 });
    expect(() => big.push(header(101))).toThrow(CodecError);
    expect(big.bufferedBytes).toBe(0);
    // With the default limit, a header announcing 4 GiB fails at once instead of allocating it.
    expect(() => new FrameDecoder().push(header(0xffffffff))).toThrow(/more than maxFrameSize 16777216/);
    expect(DEFAULT_MAX_FRAME_SIZE).toBe(16 * 1024 * 1024);
  });

  test('an oversize header split across chunks is refused when its last byte arrives', () => {
    const d = new FrameDecoder({ maxFrameSize: 10 });
    const h = header(11);
    expect(d.push(h.subarray(0, 3))).toEqual([]);
    expect(() => d.push(h.subarray(3))).toThrow(CodecError);
  });

  test('after a refusal the decoder stays failed', () => {
    const d = new FrameDecoder({ maxFrameSize: 10 });
    expect(() => d.push(header(11))).toThrow(CodecError);
    expect(() => d.push(encodeFrame(new Uint8Array(1)))).toThrow(CodecError);
    expect(() => d.end()).toThrow(CodecError);
  });

  test('the buffer never exceeds one frame limit plus a header', () => {
    const max = 64;
    const d = new FrameDecoder({ maxFrameSize: max });
    const rng = new SeededRng(8);
    const frames = Array.from({ length: 30 }, () => encodeFrame(new Uint8Array(rng.nextInt(max + 1)), { maxFrameSize: max }));
    const bytes = concat(frames);
    for (let off = 0; off < bytes.length; off += 7) {
      d.push(bytes.subarray(off, off + 7));
      expect(d.bufferedBytes).toBeLessThanOrEqual(max + 4);
    }
  });

  test('maxFrameSize is configurable and validated', () => {
    expect(new FrameDecoder({ maxFrameSize: 1 }).maxFrameSize).toBe(1);
    expect(new FrameDecoder({ maxFrameSize: 2 ** 32 - 1 }).maxFrameSize).toBe(2 ** 32 - 1);
    for (const bad of [0, -1, 1.5, 2 ** 32, NaN]) {
      expect(() => new FrameDecoder({ maxFrameSize: bad })).toThrow(ConfigInvalidError);
      expect(() => encodeFrame(new Uint8Array(1), { maxFrameSize: bad })).toThrow(ConfigInvalidError);
    }
  });

  test('end() refuses a stream that stops inside a frame', () => {
    const d = new FrameDecoder();
    d.push(stream.subarray(0, 5));
    expect(() => d.end()).toThrow(/ended inside a frame/);
  });
});

describe('FrameDecoder reserves memory as bytes arrive', () => {
  test('a header announcing 16 MiB followed by 10 bytes reserves 64 KiB, and the frame still assembles', () => {
    const d = new FrameDecoder();
    const size = 16 * 1024 * 1024;
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, size);
    expect(d.push(header)).toEqual([]);
    expect(d.reservedBytes).toBe(64 * 1024);
    expect(d.push(new Uint8Array(10).fill(7))).toEqual([]);
    expect(d.reservedBytes).toBe(64 * 1024);
    let received = 10;
    let out: Uint8Array[] = [];
    while (received < size) {
      const n = Math.min(1_000_003, size - received);
      const chunk = new Uint8Array(n).fill(received % 251);
      out = d.push(chunk);
      received += n;
      if (received < size) expect(d.reservedBytes).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * received));
    }
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(size);
    expect(out[0]![0]).toBe(7);
    expect(out[0]![10]).toBe(10 % 251);
    expect(d.reservedBytes).toBe(0);
  });
});
