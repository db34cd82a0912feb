import { Unpackr } from 'msgpackr';
import { BinaryReader, BinaryWriter } from './binary.js';
import { CodecError, toCodecError } from './errors.js';

/**
 * The format version this build writes into byte 0 of every record: 2, bodies of fixed-width
 * little-endian binary fields. Decoders keep reading version 1 (msgpack array bodies, written by
 * earlier builds: WAL and LevelDB data, older peers' frames); an unknown version is refused
 * with a {@link CodecError}.
 */
export const FORMAT_VERSION = 2;

/**
 * The format version of msgpack-bodied records, which this build reads but no longer writes.
 *
 * @internal
 */
export const MSGPACK_FORMAT_VERSION = 1;

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

// Version 1 bodies were hand-laid msgpack arrays (no keys, no records). Records stay off so
// that bytes 0x40–0x7f and in-band record definitions from a peer mean nothing special.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * The writer every version 2 encoder lays its record into.
 *
 * @internal
 */
export const writer = new BinaryWriter();

/**
 * Starts a version 2 record of `kind` whose body takes `bodySize` bytes, after `prefix` spare
 * bytes (a frame header or a checksum, written by the caller through the returned view).
 * Write the body with {@link writer}, then call `writer.end()`.
 *
 * @internal
 */
export function beginRecord(kind: RecordKind, bodySize: number, prefix = 0): void {
  writer.begin(prefix + ENVELOPE_SIZE + bodySize);
  writer.skip(prefix);
  writer.u8(FORMAT_VERSION);
  writer.u8(kind);
}

function describeInput(bytes: unknown): string {
  if (bytes === null) return 'null';
  if (typeof bytes === 'object') return 'an object that is not a Uint8Array';
  return `a ${typeof bytes}`;
}

/**
 * Checks the envelope of `bytes` (a Uint8Array, a known version, record kind `kind`) and
 * returns the version.
 */
function checkEnvelope(bytes: unknown, kind: RecordKind): number {
  const name = RecordKindName[kind];
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError(`${name}: expected a Uint8Array, got ${describeInput(bytes)}`);
  }
  if (bytes.length <= ENVELOPE_SIZE) throw new CodecError(`${name}: truncated (${bytes.length} bytes)`);
  const version = bytes[0]!;
  if (version !== FORMAT_VERSION && version !== MSGPACK_FORMAT_VERSION) {
    throw new CodecError(`${name}: unknown format version ${version} (this build reads versions 1 and ${FORMAT_VERSION})`);
  }
  const got = bytes[1]!;
  if (got !== kind) {
    const gotName = isRecordKind(got) ? RecordKindName[got] : `unknown kind ${got}`;
    throw new CodecError(`${name}: the bytes hold a ${gotName} record`);
  }
  return version;
}

/**
 * Checks the envelope of `bytes` (a Uint8Array, version 1, record kind `kind`) and returns the
 * msgpack body, still unvalidated. The body is read from a private copy
 * of `bytes`, and its byte fields are views into that copy.
 *
 * @throws {@link CodecError} for anything that is not a well-formed envelope of that kind.
 * @internal
 */
export function unpackRecord(bytes: unknown, kind: RecordKind): unknown {
  const name = RecordKindName[kind];
  if (checkEnvelope(bytes, kind) !== MSGPACK_FORMAT_VERSION) throw new CodecError(`${name}: not a version 1 record`);
  const input = bytes as Uint8Array;
  // One private copy of the whole record: the byte fields msgpackr returns are plain Uint8Array
  // views into it (not Buffers), so a decoded value keeps alive exactly its own record's bytes,
  // never the caller's chunk or frame, and is unaffected if the caller reuses `bytes`. One copy
  // is much cheaper than one allocation per byte field (see bench/codec.bench.ts). msgpackr
  // also caches a DataView on its source object, which thus never touches the caller's array.
  const src = new Uint8Array(input.length);
  src.set(input);
  try {
    return unpackr.unpack(src, { start: ENVELOPE_SIZE }) as unknown;
  } catch (cause) {
    throw new CodecError(`${name}: malformed msgpack body`, { cause });
  }
}

/**
 * Decodes a record of kind `kind`: a version 2 body with `readBinary` (given a reader
 * positioned after the envelope, which it must read to the end), a version 1 body with
 * `readMsgpack` (given the unpacked, unvalidated msgpack value). Any failure becomes a
 * {@link CodecError} (the shared shape of every record decoder).
 *
 * @throws {@link CodecError}, and nothing else, whatever `bytes` holds.
 * @internal
 */
export function decodeRecord<T>(
  bytes: unknown,
  kind: RecordKind,
  readMsgpack: (body: unknown) => T,
  readBinary: (r: BinaryReader) => T,
): T {
  try {
    if (checkEnvelope(bytes, kind) === MSGPACK_FORMAT_VERSION) return readMsgpack(unpackRecord(bytes, kind));
    const r = new BinaryReader(bytes as Uint8Array, ENVELOPE_SIZE, RecordKindName[kind]);
    const v = readBinary(r);
    r.done();
    return v;
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
  if (version !== FORMAT_VERSION && version !== MSGPACK_FORMAT_VERSION) throw new CodecError(`record: unknown format version ${version}`);
  const kind = bytes[1]!;
  if (!isRecordKind(kind)) throw new CodecError(`record: unknown record kind ${kind}`);
  return kind;
}
