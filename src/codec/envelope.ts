import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { CodecError, toCodecError } from './errors.js';

/**
 * The format version this build writes into byte 0 of every record. Decoders keep reading
 * every older version they know; an unknown version is refused with a {@link CodecError}.
 */
export const FORMAT_VERSION = 1;

/** The size of the envelope in front of every record body: the version byte and the kind byte. */
export const ENVELOPE_SIZE = 2;

/**
 * The kinds of record the codec writes, stored in byte 1 of every encoding so that a reader
 * can tell what it holds (see {@link readRecordKind}) and a decoder refuses the wrong kind.
 */
export const RecordKind = {
  /** A Raft `Message`, as written by `encodeMessage`. */
  Message: 1,
  /** A log `Entry`, as written by `encodeEntry`. */
  Entry: 2,
  /** A `HardState`, as written by `encodeHardState`. */
  HardState: 3,
  /** A `ConfState`, as written by `encodeConfState`. */
  ConfState: 4,
  /** A `SnapshotMetadata`, as written by `encodeSnapshotMetadata`. */
  SnapshotMetadata: 5,
  /** A `ConfChange`, as written by `encodeConfChangeRecord`. */
  ConfChange: 6,
  /** A `ConfChangeV2`, as written by `encodeConfChangeV2Record`. */
  ConfChangeV2: 7,
} as const;

/** One of the {@link RecordKind} values. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** The names of the record kinds, indexed by value (for error messages). */
export const RecordKindName: Readonly<Record<RecordKind, string>> = {
  1: 'Message',
  2: 'Entry',
  3: 'HardState',
  4: 'ConfState',
  5: 'SnapshotMetadata',
  6: 'ConfChange',
  7: 'ConfChangeV2',
};

function isRecordKind(k: number): k is RecordKind {
  return k >= RecordKind.Message && k <= RecordKind.ConfChangeV2;
}

// Bodies are hand-laid msgpack arrays (no keys, no records): see bench/codec.bench.ts for the
// comparison with msgpackr's record structures. Records stay off so that bytes 0x40–0x7f and
// in-band record definitions from a peer mean nothing special.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * Packs `body` behind the envelope, leaving `prefix` spare bytes in front of it (used for a
 * frame header). The result is a view into msgpackr's write buffer, which is never written
 * again, so it is safe to keep; it shares its `ArrayBuffer` with other encodings.
 *
 * @internal
 */
export function packRecord(kind: RecordKind, body: unknown, prefix = 0): Uint8Array {
  const buf = packr.pack(body, RESERVE_START_SPACE | (prefix + ENVELOPE_SIZE));
  // A plain Uint8Array view, so callers never meet Buffer's view-returning `slice`.
  const out = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  out[prefix] = FORMAT_VERSION;
  out[prefix + 1] = kind;
  return out;
}

function describeInput(bytes: unknown): string {
  if (bytes === null) return 'null';
  if (typeof bytes === 'object') return 'an object that is not a Uint8Array';
  return `a ${typeof bytes}`;
}

/**
 * Checks the envelope of `bytes` (a Uint8Array, version {@link FORMAT_VERSION}, record kind
 * `kind`) and returns the msgpack body, still unvalidated. The body is read from a private copy
 * of `bytes`, and its byte fields are views into that copy.
 *
 * @throws {@link CodecError} for anything that is not a well-formed envelope of that kind.
 * @internal
 */
export function unpackRecord(bytes: unknown, kind: RecordKind): unknown {
  const name = RecordKindName[kind];
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError(`${name}: expected a Uint8Array, got ${describeInput(bytes)}`);
  }
  if (bytes.length <= ENVELOPE_SIZE) throw new CodecError(`${name}: truncated (${bytes.length} bytes)`);
  const version = bytes[0]!;
  if (version !== FORMAT_VERSION) {
    throw new CodecError(`${name}: unknown format version ${version} (this build reads version ${FORMAT_VERSION})`);
  }
  const got = bytes[1]!;
  if (got !== kind) {
    const gotName = isRecordKind(got) ? RecordKindName[got] : `unknown kind ${got}`;
    throw new CodecError(`${name}: the bytes hold a ${gotName} record`);
  }
  // One private copy of the whole record: the byte fields msgpackr returns are plain Uint8Array
  // views into it (not Buffers), so a decoded value keeps alive exactly its own record's bytes,
  // never the caller's chunk or frame, and is unaffected if the caller reuses `bytes`. One copy
  // is much cheaper than one allocation per byte field (see bench/codec.bench.ts). msgpackr
  // also caches a DataView on its source object, which thus never touches the caller's array.
  const src = new Uint8Array(bytes.length);
  src.set(bytes);
  try {
    return unpackr.unpack(src, { start: ENVELOPE_SIZE }) as unknown;
  } catch (cause) {
    throw new CodecError(`${name}: malformed msgpack body`, { cause });
  }
}

/**
 * Unpacks a record of kind `kind` and reads its body with `read`, turning any failure into a
 * {@link CodecError} (the shared shape of every record decoder).
 *
 * @throws {@link CodecError}, and nothing else, whatever `bytes` holds.
 * @internal
 */
export function decodeRecord<T>(bytes: unknown, kind: RecordKind, read: (body: unknown) => T): T {
  try {
    return read(unpackRecord(bytes, kind));
  } catch (err) {
    throw toCodecError(err, RecordKindName[kind]);
  }
}

/**
 * Returns the {@link RecordKind} stored in an encoding's envelope, without decoding the body.
 *
 * @throws {@link CodecError} when `bytes` is too short, or of an unknown version or kind.
 */
export function readRecordKind(bytes: Uint8Array): RecordKind {
  if (!(bytes instanceof Uint8Array) || bytes.length <= ENVELOPE_SIZE) {
    throw new CodecError('record: truncated or not a Uint8Array');
  }
  const version = bytes[0]!;
  if (version !== FORMAT_VERSION) throw new CodecError(`record: unknown format version ${version}`);
  const kind = bytes[1]!;
  if (!isRecordKind(kind)) throw new CodecError(`record: unknown record kind ${kind}`);
  return kind;
}
