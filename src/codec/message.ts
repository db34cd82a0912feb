import type { Entry } from '../raft/entry.js';
import { isMessageType, type Message } from '../raft/messages.js';
import { decodeRecord, packRecord, RecordKind } from './envelope.js';
import { CodecError } from './errors.js';
import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_SIZE, type FrameOptions, checkMaxFrameSize } from './frame.js';
import { readSnapshot, snapshotBody } from './state.js';
import {
  fail,
  readBool,
  readBytes,
  readEntryType,
  readFlat,
  readOptionalBytes,
  readTuple,
  readUint,
} from './validate.js';

// Body layouts (format version 1), all msgpack arrays:
//   Entry   [term, index, type, data]
//   Message [type, to, from, term, logTerm, index, commit, reject, rejectHint,
//            [term, index, type, data, term, index, type, data, …],   (entries, flattened)
//            Snapshot | nil, context | nil]
// Entries inside a message are flattened into one array: one allocation instead of one per
// entry on both sides, which is most of what makes this layout faster than keyed maps.

const MESSAGE_FIELDS = 12;

/**
 * The most bytes the encoding of one entry inside a message adds to its data: term and index
 * (at most 9 bytes each as msgpack integers), the type (1) and the data's length header (at
 * most 5). Used to prove that an accepted entry always fits in a frame.
 */
export const ENTRY_WIRE_OVERHEAD = 24;

/**
 * The most bytes a message's encoding adds around its entries (version and kind bytes, the
 * array header, seven integer fields of at most 9 bytes, `reject`, the entries' array header,
 * and nil snapshot and context), rounded up from 75 to leave room. A message carrying a
 * snapshot or a context is not bounded by this.
 */
export const MESSAGE_WIRE_OVERHEAD = 128;

function messageBody(m: Message): unknown[] {
  const ents = m.entries;
  const flat = new Array<unknown>(ents.length * 4);
  for (let i = 0, j = 0; i < ents.length; i++, j += 4) {
    const e = ents[i]!;
    flat[j] = e.term;
    flat[j + 1] = e.index;
    flat[j + 2] = e.type;
    flat[j + 3] = e.data;
  }
  return [
    m.type,
    m.to,
    m.from,
    m.term,
    m.logTerm,
    m.index,
    m.commit,
    m.reject,
    m.rejectHint,
    flat,
    m.snapshot === undefined ? null : snapshotBody(m.snapshot),
    m.context ?? null,
  ];
}

/** Reads the entry whose 4 fields start at `f[j]` (an Entry body, or a flattened list of them). */
function readEntryAt(f: unknown[], j: number): Entry {
  return {
    term: readUint(f[j], 'Entry.term'),
    index: readUint(f[j + 1], 'Entry.index'),
    type: readEntryType(f[j + 2], 'Entry.type'),
    data: readBytes(f[j + 3], 'Entry.data'),
  };
}

function readEntries(v: unknown): Entry[] {
  const flat = readFlat(v, 4, 'Message.entries');
  const ents = new Array<Entry>(flat.length / 4);
  for (let i = 0, j = 0; j < flat.length; i++, j += 4) ents[i] = readEntryAt(flat, j);
  return ents;
}

function readMessage(v: unknown): Message {
  const f = readTuple(v, MESSAGE_FIELDS, 'Message');
  const type = f[0];
  if (!isMessageType(type)) fail('Message.type', 'a known message type', type);
  const snap = f[10];
  // The same fields in the same order as createMessage, so decoded messages share its shape.
  return {
    type,
    to: readUint(f[1], 'Message.to'),
    from: readUint(f[2], 'Message.from'),
    term: readUint(f[3], 'Message.term'),
    logTerm: readUint(f[4], 'Message.logTerm'),
    index: readUint(f[5], 'Message.index'),
    entries: readEntries(f[9]),
    commit: readUint(f[6], 'Message.commit'),
    snapshot: snap === null || snap === undefined ? undefined : readSnapshot(snap),
    reject: readBool(f[7], 'Message.reject'),
    rejectHint: readUint(f[8], 'Message.rejectHint'),
    context: readOptionalBytes(f[11], 'Message.context'),
  };
}

/**
 * Encodes a {@link Message} for the wire: a version byte, a record kind byte and a msgpack body.
 *
 * The input is trusted (it comes from the Raft core) and is not validated; a peer refuses a
 * malformed encoding when it decodes it. The result is a view of a shared write buffer that is
 * never written again: keep it as long as needed, but use its `byteOffset`/`byteLength` rather
 * than its whole `buffer`.
 */
export function encodeMessage(message: Message): Uint8Array {
  return packRecord(RecordKind.Message, messageBody(message));
}

/**
 * Encodes a {@link Message} directly as one length-prefixed frame (see `encodeFrame`), which
 * saves a copy on the send path: the same bytes as `encodeFrame(encodeMessage(message))`.
 *
 * @param message - the message to send.
 * @param options - `maxFrameSize`: the largest payload allowed (default 16 MiB).
 * @throws `CodecError` when the encoding is larger than `maxFrameSize`.
 */
export function encodeMessageFrame(message: Message, options?: FrameOptions): Uint8Array {
  const max = checkMaxFrameSize(options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  const out = packRecord(RecordKind.Message, messageBody(message), FRAME_HEADER_SIZE);
  const size = out.length - FRAME_HEADER_SIZE;
  if (size > max) throw new CodecError(`frame: a payload of ${size} bytes exceeds maxFrameSize ${max}`);
  new DataView(out.buffer, out.byteOffset, FRAME_HEADER_SIZE).setUint32(0, size);
  return out;
}

/**
 * Decodes bytes written by {@link encodeMessage}, validating every field: a known message
 * type, non-negative safe integers for terms, indexes and ids, a boolean `reject`, valid entry
 * types, and so on. The result has exactly the shape `createMessage` gives.
 *
 * Byte fields (entry data, snapshot data, context) are views into one private copy of `bytes`
 * made by the decoder: the result never keeps `bytes` (or the chunk it is a view of) alive and
 * is unaffected if `bytes` is reused, but the entries of one message share that copy, so one
 * retained entry keeps its whole message's bytes alive. Copy `data` if you keep a few entries
 * of a large message for long. Empty byte fields are the shared `EMPTY_BYTES`.
 *
 * @throws `CodecError`, and nothing else, whatever `bytes` holds.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  return decodeRecord(bytes, RecordKind.Message, readMessage);
}

/**
 * Encodes a log {@link Entry} as a versioned record (the value storage writes for each index).
 */
export function encodeEntry(entry: Entry): Uint8Array {
  return packEntry(entry, 0);
}

/**
 * {@link encodeEntry} with `prefix` spare bytes in front of the record (for a checksum), so
 * that a caller adding a header need not copy the encoding.
 *
 * @internal
 */
export function packEntry(entry: Entry, prefix: number): Uint8Array {
  return packRecord(RecordKind.Entry, [entry.term, entry.index, entry.type, entry.data], prefix);
}

/**
 * Decodes a record written by {@link encodeEntry}; `data` is a view into a private copy of
 * `bytes` (see {@link decodeMessage}).
 *
 * @throws `CodecError`, and nothing else, whatever `bytes` holds.
 */
export function decodeEntry(bytes: Uint8Array): Entry {
  return decodeRecord(bytes, RecordKind.Entry, (body) => readEntryAt(readTuple(body, 4, 'Entry'), 0));
}
