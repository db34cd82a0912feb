import { expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { decodeEnvelope, encodeEnvelope, ownSeqOf } from '../../src/replica/envelope.js';

/** The reference: decode, then match proposer and incarnation (what `Requests.own` does). */
function viaDecode(data: Uint8Array | undefined, proposer: number, incarnation: number): number | undefined {
  const env = decodeEnvelope(data);
  return env !== undefined && env.proposer === proposer && env.incarnation === incarnation ? env.seq : undefined;
}

test('ownSeqOf tells the same as decoding the envelope, for own, foreign, damaged and non-envelope data', () => {
  const rng = new SeededRng(3);
  const ids = [1, 2, 7, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
  const incs = [0, 1, 0x7fff_ffff, 0xffff_ffff];
  let own = 0;
  for (let i = 0; i < 2000; i++) {
    const id = { proposer: ids[rng.nextInt(ids.length)]!, incarnation: incs[rng.nextInt(incs.length)]!, seq: rng.nextInt(3) === 0 ? 2 ** 50 + rng.nextInt(1000) : rng.nextInt(1 << 30) };
    const payload = new Uint8Array(rng.nextInt(40)).map(() => rng.nextInt(256));
    let data: Uint8Array | undefined = encodeEnvelope(id, payload);
    switch (rng.nextInt(6)) {
      case 0: data[rng.nextInt(data.length)] = rng.nextInt(256); break; // a damaged byte anywhere
      case 1: data = data.subarray(0, rng.nextInt(data.length)); break; // cut short
      case 2: data = rng.nextInt(2) === 0 ? undefined : payload; break; // no envelope at all
      case 3: { const wide = new Uint8Array(data.length + 5); wide.set(data, 5); data = wide.subarray(5); break; } // a view at an offset
      default: break;
    }
    const me = { proposer: rng.nextInt(2) === 0 ? id.proposer : ids[rng.nextInt(ids.length)]!, incarnation: rng.nextInt(2) === 0 ? id.incarnation : incs[rng.nextInt(incs.length)]! };
    const want = viaDecode(data, me.proposer, me.incarnation);
    if (want !== undefined) own++;
    expect(ownSeqOf(data, me.proposer, me.incarnation)).toBe(want);
  }
  expect(own).toBeGreaterThan(200);
  // A NaN or non-integer sequence number is not a request of ours.
  const odd = encodeEnvelope({ proposer: 1, incarnation: 1, seq: 0 }, new Uint8Array(0));
  new DataView(odd.buffer, odd.byteOffset).setFloat64(13, 1.5);
  expect(ownSeqOf(odd, 1, 1)).toBeUndefined();
});
