/**
 * Format version 2 (binary bodies): seeded round trips of every record kind, the version 1
 * (msgpack) bytes earlier builds wrote decoding to the same values, and hostile version 2
 * bodies (truncated, oversized counts, out-of-range integers, unknown flags and enum values,
 * trailing bytes, mutations) refused with a CodecError and nothing else.
 *
 * Seeded: `FUZZ_SEED=<n>` replays a failure.
 */
import { describe, expect, test } from 'vitest';
import {
  decodeConfChangeRecord,
  decodeConfChangeV2Record,
  encodeConfChangeRecord,
  encodeConfChangeV2Record,
} from '../../src/codec/conf-change.js';
import { FORMAT_VERSION } from '../../src/codec/envelope.js';
import { CodecError } from '../../src/codec/errors.js';
import { decodeEntry, decodeMessage, encodeEntry, encodeMessage, encodeMessageFrame } from '../../src/codec/message.js';
import {
  decodeConfState,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeConfState,
  encodeHardState,
  encodeSnapshotMetadata,
} from '../../src/codec/state.js';
import { EMPTY_BYTES, EntryType } from '../../src/raft/entry.js';
import { createMessage, MessageType } from '../../src/raft/messages.js';
import { SeededRng } from '../../src/raft/rng.js';
import { expectCodecError, randomConfState, randomEntry, randomMessage } from './helpers.js';
import {
  encodeConfChangeRecordV1,
  encodeConfChangeV2RecordV1,
  encodeConfStateV1,
  encodeEntryV1,
  encodeHardStateV1,
  encodeMessageV1,
  encodeSnapshotMetadataV1,
} from './v1-encoder.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 90210);
const MAX = Number.MAX_SAFE_INTEGER;

interface Kind {
  decode: (b: Uint8Array) => unknown;
  encode: (v: never) => Uint8Array;
  encodeV1: (v: never) => Uint8Array;
  random: (rng: SeededRng) => unknown;
}

const kinds: Record<string, Kind> = {
  Message: { decode: decodeMessage, encode: encodeMessage, encodeV1: encodeMessageV1, random: randomMessage },
  Entry: { decode: decodeEntry, encode: encodeEntry, encodeV1: encodeEntryV1, random: randomEntry },
  HardState: {
    decode: decodeHardState,
    encode: encodeHardState,
    encodeV1: encodeHardStateV1,
    random: (rng) => ({ term: rng.nextInt(2) ? MAX : rng.nextInt(1e9), vote: rng.nextInt(9), commit: rng.nextInt(1e9) }),
  },
  ConfState: { decode: decodeConfState, encode: encodeConfState, encodeV1: encodeConfStateV1, random: randomConfState },
  SnapshotMetadata: {
    decode: decodeSnapshotMetadata,
    encode: encodeSnapshotMetadata,
    encodeV1: encodeSnapshotMetadataV1,
    random: (rng) => ({ confState: randomConfState(rng), index: rng.nextInt(2) ? MAX : rng.nextInt(1e9), term: rng.nextInt(1e9) }),
  },
  ConfChange: {
    decode: decodeConfChangeRecord,
    encode: encodeConfChangeRecord,
    encodeV1: encodeConfChangeRecordV1,
    random: (rng) => ({ type: rng.nextInt(4), nodeId: rng.nextInt(2) ? MAX : rng.nextInt(1e6), context: contextOf(rng) }),
  },
  ConfChangeV2: {
    decode: decodeConfChangeV2Record,
    encode: encodeConfChangeV2Record,
    encodeV1: encodeConfChangeV2RecordV1,
    random: (rng) => ({
      transition: rng.nextInt(3),
      changes: Array.from({ length: rng.nextInt(4) }, () => ({ type: rng.nextInt(4), nodeId: rng.nextInt(2) ? MAX : rng.nextInt(1e6) })),
      context: contextOf(rng),
    }),
  },
};

function contextOf(rng: SeededRng): Uint8Array | undefined {
  switch (rng.nextInt(3)) {
    case 0:
      return undefined;
    case 1:
      return EMPTY_BYTES;
    default:
      return new Uint8Array([1, 2, rng.nextInt(256)]);
  }
}

describe.each(Object.entries(kinds))('%s', (_name, k) => {
  test('300 seeded values round-trip through version 2, and their version 1 bytes decode to the same value', () => {
    const rng = new SeededRng(SEED);
    for (let i = 0; i < 300; i++) {
      const v = k.random(rng);
      const bytes = k.encode(v as never);
      expect(bytes[0]).toBe(FORMAT_VERSION);
      expect(k.decode(bytes), `value ${i}`).toStrictEqual(v);
      expect(k.decode(k.encodeV1(v as never)), `version 1 of value ${i}`).toStrictEqual(v);
    }
  });

  test('every truncation of a version 2 encoding is refused', () => {
    const rng = new SeededRng(SEED + 1);
    for (let i = 0; i < 20; i++) {
      const bytes = k.encode(k.random(rng) as never).slice();
      for (let n = 0; n < bytes.length; n++) {
        // An Entry's data is the rest of its record: any cut after the fixed fields is a valid, shorter entry.
        if (_name === 'Entry' && n >= 19) continue;
        expectCodecError(k.decode, bytes.subarray(0, n));
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      if (_name !== 'Entry') expectCodecError(k.decode, longer, /trailing bytes/);
    }
  });

  test('mutated version 1 and version 2 encodings only ever throw CodecError or decode to a re-encodable value', () => {
    const rng = new SeededRng(SEED + 2);
    for (let i = 0; i < 1000; i++) {
      const v = k.random(rng);
      const b = (i % 2 === 0 ? k.encode(v as never) : k.encodeV1(v as never)).slice();
      for (let flips = 1 + rng.nextInt(3); flips > 0; flips--) {
        const at = 2 + rng.nextInt(Math.max(1, b.length - 2));
        if (at < b.length) b[at] = rng.nextInt(4) === 0 ? 0xff : rng.nextInt(256);
      }
      try {
        const got = k.decode(b);
        expect(k.decode(k.encode(got as never))).toStrictEqual(got);
      } catch (err) {
        if (!(err instanceof CodecError)) throw new Error(`case ${i} (seed ${SEED}) threw ${String(err)}`, { cause: err });
      }
    }
  });
});

/** A version 2 MsgApp with one entry of 3 bytes, and the offsets of its fields. */
function msgAppBytes(): Uint8Array {
  const m = createMessage({
    type: MessageType.MsgApp,
    to: 2,
    from: 1,
    term: 5,
    logTerm: 4,
    index: 10,
    commit: 9,
    entries: [{ term: 5, index: 11, type: EntryType.EntryNormal, data: new Uint8Array([7, 8, 9]) }],
  });
  return encodeMessage(m).slice();
}
const AT = { type: 2, flags: 3, to: 4, term: 20, count: 60, entryType: 80, entryLength: 81 };

function withBytes(b: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const out = b.slice();
  out.set(bytes, at);
  return out;
}

describe('hostile version 2 messages', () => {
  test('the layout offsets used below are right', () => {
    const b = msgAppBytes();
    expect([b[AT.type], b[AT.to], b[AT.term], b[AT.count], b[AT.entryLength]]).toEqual([MessageType.MsgApp, 2, 5, 1, 3]);
  });

  test.each([
    ['an unknown message type', AT.type, [200], /Message.type: expected a known message type, got 200/],
    ['unknown flag bits', AT.flags, [8], /Message.flags/],
    ['a term of 2^53', AT.term, [0, 0, 0, 0, 0, 0, 0x20, 0], /Message.term: .*2\^53 or more/],
    ['a node id of 2^64 - 1', AT.to, [255, 255, 255, 255, 255, 255, 255, 255], /Message.to/],
    ['an entry count of 2^32 - 1', AT.count, [255, 255, 255, 255], /Message.entries: expected a count/],
    ['an entry count one too many', AT.count, [2, 0, 0, 0], /Message.entries/],
    ['an unknown entry type', AT.entryType, [3], /Entry.type: expected an integer in \[0, 2\], got 3/],
    ['an entry length past the end', AT.entryLength, [4, 0, 0, 0], /truncated at Entry.data/],
    ['an entry length of 2^32 - 1', AT.entryLength, [255, 255, 255, 255], /truncated at Entry.data/],
    ['an entry length short of the end', AT.entryLength, [2, 0, 0, 0], /1 trailing bytes/],
  ])('%s is refused', (_name, at, bytes, pattern) => {
    expectCodecError(decodeMessage, withBytes(msgAppBytes(), at, bytes), pattern);
  });

  test('a huge announced count allocates nothing before it is refused (count × item size checked against the bytes left)', () => {
    // 2^32 - 1 entries of at least 21 bytes each in a 90-byte record: refused by the count check itself.
    expectCodecError(decodeMessage, withBytes(msgAppBytes(), AT.count, [255, 255, 255, 255]), /bytes left can hold/);
    const cs = encodeConfState({ voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }).slice();
    expectCodecError(decodeConfState, withBytes(cs, 2, [255, 255, 255, 0x7f]), /ConfState.voters: expected a count/);
  });

  test('a boolean byte other than 0 or 1 is refused', () => {
    const cs = encodeConfState({ voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: true }).slice();
    expectCodecError(decodeConfState, withBytes(cs, cs.length - 1, [2]), /ConfState.autoLeave/);
  });

  test('decoded byte fields are views of a private copy, never of the input', () => {
    const b = msgAppBytes();
    const m = decodeMessage(b);
    b.fill(0);
    expect(Array.from(m.entries[0]!.data)).toEqual([7, 8, 9]);
    const e = encodeEntry({ term: 1, index: 2, type: EntryType.EntryNormal, data: new Uint8Array([5]) }).slice();
    const d = decodeEntry(e);
    e.fill(0);
    expect(Array.from(d.data)).toEqual([5]);
  });

  test('a frame carries the same record as encodeMessage, behind its big-endian length', () => {
    const m = createMessage({ type: MessageType.MsgHeartbeat, to: 2, from: 1, term: 3, commit: 7 });
    const frame = encodeMessageFrame(m);
    const record = encodeMessage(m);
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(record.length);
    expect(Array.from(frame.subarray(4))).toEqual(Array.from(record));
  });

  test('encodings stay valid after many more encodings (slab regions are never written again)', () => {
    const rng = new SeededRng(SEED + 3);
    const kept = Array.from({ length: 50 }, () => {
      const m = randomMessage(rng);
      return { m, bytes: encodeMessage(m) };
    });
    for (let i = 0; i < 5000; i++) encodeMessage(randomMessage(rng));
    for (const { m, bytes } of kept) expect(decodeMessage(bytes)).toStrictEqual(m);
  });

  test('decoded values stay intact after many more decodings (pooled private copies are never written again)', () => {
    const rng = new SeededRng(SEED + 4);
    const kept = Array.from({ length: 50 }, () => {
      const m = randomMessage(rng);
      return { m, decoded: decodeMessage(encodeMessage(m).slice()) };
    });
    for (let i = 0; i < 5000; i++) decodeMessage(encodeMessage(randomMessage(rng)).slice());
    for (const { m, decoded } of kept) expect(decoded).toStrictEqual(m);
  });
});
