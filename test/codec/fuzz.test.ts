/**
 * Fuzz test: random bytes and mutations of valid encodings (bit flips, truncations, insertions,
 * overwrites, corrupted length fields, corrupted frame headers) must only ever produce a
 * `CodecError`, and a valid encoding must always decode to the original.
 *
 * Seeded: a failure prints the seed and case number, and `FUZZ_SEED=<n>` replays it;
 * `FUZZ_STATS=1` prints how many inputs were accepted and refused.
 */
import { expect, test } from 'vitest';
import {
  decodeConfChangeRecord,
  decodeConfChangeV2Record,
  encodeConfChangeRecord,
  encodeConfChangeV2Record,
} from '../../src/codec/conf-change.js';
import { RecordKind } from '../../src/codec/envelope.js';
import { CodecError } from '../../src/codec/errors.js';
import { FrameDecoder } from '../../src/codec/frame.js';
import { decodeEntry, decodeMessage, encodeEntry, encodeMessage, encodeMessageFrame } from '../../src/codec/message.js';
import {
  decodeConfState,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeConfState,
  encodeHardState,
  encodeSnapshotMetadata,
} from '../../src/codec/state.js';
import { SeededRng } from '../../src/raft/rng.js';
import { randomConfState, randomEntry, randomMessage } from './helpers.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20240601);
const CASES = 100_000;

type Codec = { decode: (b: Uint8Array) => unknown; encode: (v: never) => Uint8Array };
const codecs: Record<RecordKind, Codec> = {
  [RecordKind.Message]: { decode: decodeMessage, encode: encodeMessage },
  [RecordKind.Entry]: { decode: decodeEntry, encode: encodeEntry },
  [RecordKind.HardState]: { decode: decodeHardState, encode: encodeHardState },
  [RecordKind.ConfState]: { decode: decodeConfState, encode: encodeConfState },
  [RecordKind.SnapshotMetadata]: { decode: decodeSnapshotMetadata, encode: encodeSnapshotMetadata },
  [RecordKind.ConfChange]: { decode: decodeConfChangeRecord, encode: encodeConfChangeRecord },
  [RecordKind.ConfChangeV2]: { decode: decodeConfChangeV2Record, encode: encodeConfChangeV2Record },
};
const kinds = Object.keys(codecs).map(Number) as RecordKind[];

function randomValue(rng: SeededRng, kind: RecordKind): unknown {
  switch (kind) {
    case RecordKind.Message:
      return randomMessage(rng);
    case RecordKind.Entry:
      return randomEntry(rng);
    case RecordKind.HardState:
      return { term: rng.nextInt(1e9), vote: rng.nextInt(9), commit: rng.nextInt(1e9) };
    case RecordKind.ConfState:
      return randomConfState(rng);
    case RecordKind.SnapshotMetadata:
      return { confState: randomConfState(rng), index: rng.nextInt(1e9), term: rng.nextInt(1e9) };
    case RecordKind.ConfChange:
      return { type: rng.nextInt(4), nodeId: rng.nextInt(1e6), context: rng.nextInt(2) ? new Uint8Array([1, 2]) : undefined };
    case RecordKind.ConfChangeV2:
      return {
        transition: rng.nextInt(3),
        changes: Array.from({ length: rng.nextInt(4) }, () => ({ type: rng.nextInt(4), nodeId: rng.nextInt(1e6) })),
        context: undefined,
      };
  }
}

// msgpack headers whose length field an attacker controls, followed by a huge length.
const LENGTH_HEADERS = [0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xc7, 0xc8, 0xc9];

function randomBytes(rng: SeededRng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextInt(256);
  return b;
}

function mutate(rng: SeededRng, src: Uint8Array): Uint8Array {
  const pos = rng.nextInt(src.length + 1);
  switch (rng.nextInt(6)) {
    case 0: {
      const b = src.slice(); // bit flips
      if (b.length === 0) return b;
      for (let k = 1 + rng.nextInt(3); k > 0; k--) {
        const i = rng.nextInt(b.length);
        b[i] = b[i]! ^ (1 << rng.nextInt(8));
      }
      return b;
    }
    case 1:
      return src.slice(0, pos); // truncation
    case 2: {
      const ins = randomBytes(rng, 1 + rng.nextInt(8)); // insertion
      const b = new Uint8Array(src.length + ins.length);
      b.set(src.subarray(0, pos));
      b.set(ins, pos);
      b.set(src.subarray(pos), pos + ins.length);
      return b;
    }
    case 3: {
      const b = src.slice(); // overwrite a byte
      if (b.length > 0) b[rng.nextInt(b.length)] = rng.nextInt(256);
      return b;
    }
    case 4: {
      const b = src.slice(); // length-field corruption: a length header claiming up to 4 GiB
      const at = 2 + rng.nextInt(Math.max(1, b.length - 2));
      const huge = [0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0x00, 0x01];
      b[at] = LENGTH_HEADERS[rng.nextInt(LENGTH_HEADERS.length)]!;
      for (let k = 1; k <= 4 && at + k < b.length; k++) b[at + k] = huge[rng.nextInt(huge.length)]!;
      return b;
    }
    default: {
      const b = src.slice(0, pos); // deletion of a range
      return concat(b, src.subarray(Math.min(src.length, pos + 1 + rng.nextInt(8))));
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

test(`fuzz: ${CASES} random and mutated inputs only ever throw CodecError (seed ${SEED})`, () => {
  const rng = new SeededRng(SEED);
  // A corpus of valid encodings of every kind; each must decode to its original.
  const corpus: { kind: RecordKind; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 700; i++) {
    const kind = kinds[i % kinds.length]!;
    const value = randomValue(rng, kind);
    const bytes = codecs[kind].encode(value as never);
    expect(codecs[kind].decode(bytes), `corpus ${i}`).toStrictEqual(value);
    corpus.push({ kind, bytes });
  }

  const failures: string[] = [];
  let accepted = 0;
  let refused = 0;
  const attempt = (caseNo: number, kind: RecordKind, input: Uint8Array): void => {
    const codec = codecs[kind];
    try {
      const value = codec.decode(input);
      accepted++;
      // Whatever decodes is a valid value: it re-encodes, and decodes back to itself.
      const again = codec.encode(value as never);
      if (!sameBytes(codec.encode(codec.decode(again) as never), again)) failures.push(`case ${caseNo}: not idempotent`);
    } catch (err) {
      if (err instanceof CodecError && err.code === 'ERR_CODEC') refused++;
      else failures.push(`case ${caseNo}: ${String(err)} from ${Array.from(input.subarray(0, 64)).join(',')}`);
    }
  };

  for (let c = 0; c < CASES && failures.length < 5; c++) {
    const r = rng.nextInt(10);
    if (r === 0) {
      // Pure random bytes, half of them behind a valid envelope so they reach the body parser.
      const b = randomBytes(rng, rng.nextInt(48));
      const kind = kinds[rng.nextInt(kinds.length)]!;
      if (b.length >= 2 && rng.nextInt(2) === 0) {
        b[0] = 1;
        b[1] = kind;
      }
      attempt(c, kind, b);
    } else if (r === 1) {
      // A corrupted stream of message frames through a FrameDecoder with a small limit.
      const m = corpus[rng.nextInt(corpus.length / kinds.length) * kinds.length]!;
      const stream = mutate(rng, concat(encodeMessageFrame(randomMessage(rng)), frameOf(m.bytes)));
      const d = new FrameDecoder({ maxFrameSize: 4096 });
      try {
        for (let off = 0; off < stream.length; off += 1 + rng.nextInt(64)) {
          for (const f of d.push(stream.subarray(off, off + 1 + rng.nextInt(64)))) attempt(c, RecordKind.Message, f);
        }
        d.end();
      } catch (err) {
        if (!(err instanceof CodecError)) failures.push(`case ${c}: frame decoder threw ${String(err)}`);
      }
      if (d.bufferedBytes > 4096 + 4) failures.push(`case ${c}: buffered ${d.bufferedBytes}`);
    } else {
      const { kind, bytes } = corpus[rng.nextInt(corpus.length)]!;
      let b = mutate(rng, bytes);
      if (rng.nextInt(4) === 0) b = mutate(rng, b);
      attempt(c, kind, b);
    }
  }
  if (process.env["FUZZ_STATS"]) console.log({ accepted, refused });
  expect(failures, `seed ${SEED}`).toEqual([]);
  expect(accepted + refused).toBeGreaterThanOrEqual(CASES * 0.9);
  expect(refused).toBeGreaterThan(CASES / 4);
});

function frameOf(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}
