import { pack } from 'msgpackr';
import { expect } from 'vitest';
import { CodecError } from '../../src/codec/errors.js';
import { MSGPACK_FORMAT_VERSION, type RecordKind } from '../../src/codec/envelope.js';
import { EntryType, type ConfState, type Entry, type EntryType as EntryTypeT } from '../../src/raft/entry.js';
import { createMessage, MessageTypeName, type Message, type MessageType } from '../../src/raft/messages.js';
import type { SeededRng } from '../../src/raft/rng.js';

/** Builds a version 1 (msgpack) record from a hand-made body, as a peer (or an attacker) could. */
export function rawRecord(kind: number, body: unknown, version: number = MSGPACK_FORMAT_VERSION): Uint8Array {
  const b = pack(body);
  const out = new Uint8Array(2 + b.length);
  out[0] = version;
  out[1] = kind;
  out.set(b, 2);
  return out;
}

/** Typed shortcut for {@link rawRecord}. */
export function record(kind: RecordKind, body: unknown): Uint8Array {
  return rawRecord(kind, body);
}

const MESSAGE_TYPES = Object.keys(MessageTypeName).map(Number) as MessageType[];

function bytes(rng: SeededRng, max: number): Uint8Array {
  const b = new Uint8Array(rng.nextInt(max + 1));
  for (let i = 0; i < b.length; i++) b[i] = rng.nextInt(256);
  return b;
}

function id(rng: SeededRng): number {
  switch (rng.nextInt(4)) {
    case 0:
      return 0;
    case 1:
      return rng.nextInt(10);
    case 2:
      return Number.MAX_SAFE_INTEGER - rng.nextInt(3);
    default:
      return rng.nextInt(0x100000000) * 0x200000 + rng.nextInt(0x200000); // up to 2^53 - 1
  }
}

function ids(rng: SeededRng): number[] {
  return Array.from({ length: rng.nextInt(4) }, () => id(rng));
}

/** A random {@link ConfState}. */
export function randomConfState(rng: SeededRng): ConfState {
  return { voters: ids(rng), learners: ids(rng), votersOutgoing: ids(rng), learnersNext: ids(rng), autoLeave: rng.nextInt(2) === 1 };
}

/** A random {@link Entry}. */
export function randomEntry(rng: SeededRng): Entry {
  return { term: id(rng), index: id(rng), type: rng.nextInt(3) as EntryTypeT, data: bytes(rng, 40) };
}

/** A random valid {@link Message}: any type, optional snapshot and context, large ids. */
export function randomMessage(rng: SeededRng): Message {
  return createMessage({
    type: MESSAGE_TYPES[rng.nextInt(MESSAGE_TYPES.length)]!,
    to: id(rng),
    from: id(rng),
    term: id(rng),
    logTerm: id(rng),
    index: id(rng),
    entries: Array.from({ length: rng.nextInt(4) }, () => randomEntry(rng)),
    commit: id(rng),
    snapshot:
      rng.nextInt(4) === 0
        ? { data: bytes(rng, 30), metadata: { confState: randomConfState(rng), index: id(rng), term: id(rng) } }
        : undefined,
    reject: rng.nextInt(2) === 1,
    rejectHint: id(rng),
    context: rng.nextInt(3) === 0 ? bytes(rng, 8) : undefined,
  });
}

/** A MsgApp with `n` entries of `size` bytes. */
export function msgApp(n: number, size: number): Message {
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    entries.push({ term: 3, index: 10 + i, type: EntryType.EntryNormal, data: new Uint8Array(size).fill(i & 0xff) });
  }
  return createMessage({ type: 3, to: 2, from: 1, term: 3, logTerm: 3, index: 9, entries, commit: 8 });
}

/** Expects `decode(bytes)` to throw a `CodecError` (whose message matches `pattern`, when given) and nothing else. */
export function expectCodecError(decode: (b: Uint8Array) => unknown, bytes: Uint8Array, pattern?: RegExp): void {
  let caught: unknown;
  try {
    decode(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CodecError);
  if (pattern !== undefined) expect((caught as Error).message).toMatch(pattern);
}
