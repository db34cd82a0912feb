/**
 * Envelopes are carved from a shared pool instead of a fresh array per proposal: the same
 * bytes as the layout describes, each envelope its own region, never written again.
 */
import { expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { decodeEnvelope, encodeEnvelope, type RequestId } from '../../src/replica/envelope.js';

/** The layout written plainly: tag, proposer (f64), incarnation (u32), seq (f64), all big-endian; then the payload. */
function reference(id: RequestId, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(21 + payload.length);
  const dv = new DataView(out.buffer);
  out[0] = 0x52;
  dv.setFloat64(1, id.proposer);
  dv.setUint32(9, id.incarnation >>> 0);
  dv.setFloat64(13, id.seq);
  out.set(payload, 21);
  return out;
}

test('an envelope holds the layout\'s bytes, and small ones share a pool buffer', () => {
  const rng = new SeededRng(11);
  for (let i = 0; i < 500; i++) {
    const id = { proposer: [1, 7, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER][rng.nextInt(4)]!, incarnation: [0, 1, 0x7fff_ffff, 0xffff_ffff][rng.nextInt(4)]!, seq: rng.nextInt(1 << 30) };
    const payload = new Uint8Array(rng.nextInt(2000)).map(() => rng.nextInt(256));
    expect(encodeEnvelope(id, payload)).toEqual(reference(id, payload));
  }
  const a = encodeEnvelope({ proposer: 1, incarnation: 1, seq: 1 }, new Uint8Array(300));
  const b = encodeEnvelope({ proposer: 1, incarnation: 1, seq: 2 }, new Uint8Array(300));
  expect(a.buffer.byteLength).toBeGreaterThan(a.byteLength); // carved from a larger buffer…
  expect(b.buffer === a.buffer || b.byteOffset === 0).toBe(true); // …shared with the next, or a fresh pool
});

test('kept envelopes stay intact while many more are encoded (a pool region is never handed out twice)', () => {
  const rng = new SeededRng(5);
  const kept: { id: RequestId; payload: Uint8Array; env: Uint8Array }[] = [];
  for (let i = 0; i < 5000; i++) {
    const id = { proposer: 3, incarnation: 9, seq: i };
    const payload = new Uint8Array(rng.nextInt(400)).map(() => rng.nextInt(256));
    const env = encodeEnvelope(id, payload);
    if (i % 50 === 0) kept.push({ id, payload, env });
  }
  for (const k of kept) {
    const d = decodeEnvelope(k.env);
    expect(d).toEqual({ ...k.id, payload: k.payload });
  }
});
