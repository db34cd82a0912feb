import { EntryType, type Entry } from '../raft/entry.js';
import { isMessageType, type Message } from '../raft/messages.js';
import type { BinaryReader } from './binary.js';
import { beginRecord, decodeRecord, ENVELOPE_SIZE, RecordKind, writer } from './envelope.js';
import { CodecError } from './errors.js';
import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_SIZE, type FrameOptions, checkMaxFrameSize } from './frame.js';
import { readBinarySnapshot, readSnapshot, snapshotSize, writeSnapshot } from './state.js';
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

// Version 2 body layouts (binary; u64 = a safe integer as two little-endian u32 halves, see
// binary.ts):
//   Entry        term u64 ‖ index u64 ‖ type u8 ‖ data (the rest of the record)
//   Message      type u8 ‖ flags u8 ‖ to, from, term, logTerm, index, commit, rejectHint u64 ‖
//                entry count u32 ‖ entries ‖ [context] ‖ [Snapshot]
//   flags        bit 0 reject, bit 1 a context follows, bit 2 a snapshot follows (other bits 0)
//   entry        term u64 ‖ index u64 ‖ type u8 ‖ data length u32 ‖ data
//   context      length u32 ‖ bytes
// Version 1 body layouts (read only), all msgpack arrays:
//   Entry   [term, index, type, data]
//   Message [type, to, from, term, logTerm, index, commit, reject, rejectHint,
//            [term, index, type, data, term, index, type, data, …],   (entries, flattened)
//            Snapshot | nil, context | nil]
// Entries inside a message are flattened into one array: one allocation instead of one per
// entry on both sides, which is most of what makes this layout faster than keyed maps.

const MESSAGE_FIELDS = 12;

/**
 * The most bytes the encoding of one entry inside a message adds to its data: 21 in version 2
 * (term and index 8 each, the type 1, the data's length 4), 24 in version 1. Used to prove
 * that an accepted entry always fits in a frame.
 */
export const ENTRY_WIRE_OVERHEAD = 24;

/**
 * The most bytes a message's encoding adds around its entries: 64 in version 2 (version and
 * kind bytes, type, flags, seven u64 fields, the entry count), rounded up to leave room. A
 * message carrying a snapshot or a context is not bounded by this.
 */
export const MESSAGE_WIRE_OVERHEAD = 128;

/** The version 2 message body without entries, context or snapshot. */
const MESSAGE_FIXED = 2 + 7 * 8 + 4;
/** A version 2 entry inside a message without its data. */
const ENTRY_FIXED = 8 + 8 + 1 + 4;
const FLAG_REJECT = 1;
const FLAG_CONTEXT = 2;
const FLAG_SNAPSHOT = 4;

function messageSize(m: Message): number {
  let size = MESSAGE_FIXED;
  const ents = m.entries;
  for (let i = 0; i < ents.length; i++) size += ENTRY_FIXED + ents[i]!.data.length;
  if (m.context !== undefined) size += 4 + m.context.length;
  if (m.snapshot !== undefined) size += snapshotSize(m.snapshot);
  return size;
}

function writeMessage(m: Message): void {
  writer.u8(m.type);
  writer.u8((m.reject ? FLAG_REJECT : 0) | (m.context !== undefined ? FLAG_CONTEXT : 0) | (m.snapshot !== undefined ? FLAG_SNAPSHOT : 0));
  writer.u64(m.to);
  writer.u64(m.from);
  writer.u64(m.term);
  writer.u64(m.logTerm);
  writer.u64(m.index);
  writer.u64(m.commit);
  writer.u64(m.rejectHint);
  const ents = m.entries;
  writer.u32(ents.length);
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i]!;
    writer.u64(e.term);
    writer.u64(e.index);
    writer.u8(e.type);
    writer.bytes(e.data);
  }
  if (m.context !== undefined) writer.bytes(m.context);
  if (m.snapshot !== undefined) writeSnapshot(m.snapshot);
}

function readBinaryMessage(r: BinaryReader): Message {
  const type = r.u8('Message.type');
  if (!isMessageType(type)) r.invalid('Message.type', 'a known message type', type);
  const flags = r.u8('Message.flags');
  if (flags > (FLAG_REJECT | FLAG_CONTEXT | FLAG_SNAPSHOT)) r.invalid('Message.flags', 'known flag bits', flags);
  const to = r.u64('Message.to');
  const from = r.u64('Message.from');
  const term = r.u64('Message.term');
  const logTerm = r.u64('Message.logTerm');
  const index = r.u64('Message.index');
  const commit = r.u64('Message.commit');
  const rejectHint = r.u64('Message.rejectHint');
  const n = r.count(ENTRY_FIXED, 'Message.entries');
  // Byte fields are views into one private copy of what follows (see decodeMessage).
  if (n !== 0 || flags > FLAG_REJECT) r.own();
  const entries = new Array<Entry>(n);
  for (let i = 0; i < n; i++) {
    const eTerm = r.u64('Entry.term');
    const eIndex = r.u64('Entry.index');
    const eType = r.enumU8(EntryType.EntryConfChangeV2, 'Entry.type') as EntryType;
    entries[i] = { term: eTerm, index: eIndex, type: eType, data: r.bytes('Entry.data') };
  }
  const context = (flags & FLAG_CONTEXT) !== 0 ? r.bytes('Message.context') : undefined;
  const snapshot = (flags & FLAG_SNAPSHOT) !== 0 ? readBinarySnapshot(r) : undefined;
  // The same fields in the same order as createMessage, so decoded messages share its shape.
  return { type, to, from, term, logTerm, index, entries, commit, snapshot, reject: (flags & FLAG_REJECT) !== 0, rejectHint, context };
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
 * Encodes a {@link Message} for the wire: a version byte, a record kind byte and a binary body
 * (format version 2).
 *
 * The input is trusted (it comes from the Raft core) and is not validated; a peer refuses a
 * malformed encoding when it decodes it. The result is a view of a shared write buffer that is
 * never written again: keep it as long as needed, but use its `byteOffset`/`byteLength` rather
 * than its whole `buffer`.
 */
export function encodeMessage(message: Message): Uint8Array {
  beginRecord(RecordKind.Message, messageSize(message));
  writeMessage(message);
  return writer.end();
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
  const body = messageSize(message);
  const size = ENVELOPE_SIZE + body;
  if (size > max) throw new CodecError(`frame: a payload of ${size} bytes exceeds maxFrameSize ${max}`);
  beginRecord(RecordKind.Message, body, FRAME_HEADER_SIZE);
  writeMessage(message);
  const out = writer.end();
  out[0] = size >>> 24;
  out[1] = (size >>> 16) & 0xff;
  out[2] = (size >>> 8) & 0xff;
  out[3] = size & 0xff;
  return out;
}

/**
 * Decodes bytes written by {@link encodeMessage} (format version 2, or version 1 written by
 * earlier builds), validating every field: a known message
 * type, non-negative safe integers for terms, indexes and ids, a boolean `reject`, valid entry
 * types, and so on. The result has exactly the shape `createMessage` gives.
 *
 * Byte fields (entry data, snapshot data, context) are views into one private copy of `bytes`
 * made by the decoder: the result never keeps `bytes` (or the chunk it is a view of) alive and
 * is unaffected if `bytes` is reused, but the entries of one message share that copy, so one
 * retained entry keeps its whole message's bytes alive (a copy of at most 1 KiB is carved from
 * a shared 8 KiB pool buffer, which it keeps alive instead). Copy `data` if you keep a few entries
 * of a large message for long. Empty byte fields are the shared `EMPTY_BYTES`.
 *
 * @throws `CodecError`, and nothing else, whatever `bytes` holds.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  return decodeRecord(bytes, RecordKind.Message, readMessage, readBinaryMessage);
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
  beginRecord(RecordKind.Entry, 17 + entry.data.length, prefix);
  writer.u64(entry.term);
  writer.u64(entry.index);
  writer.u8(entry.type);
  writer.raw(entry.data);
  return writer.end();
}

function readBinaryEntry(r: BinaryReader): Entry {
  const term = r.u64('Entry.term');
  const index = r.u64('Entry.index');
  const type = r.enumU8(EntryType.EntryConfChangeV2, 'Entry.type') as EntryType;
  if (r.left !== 0) r.own();
  return { term, index, type, data: r.raw(r.left, 'Entry.data') };
}

function readEntryV1(body: unknown): Entry {
  return readEntryAt(readTuple(body, 4, 'Entry'), 0);
}

/**
 * Decodes a record written by {@link encodeEntry}; `data` is a view into a private copy of
 * `bytes` (see {@link decodeMessage}).
 *
 * @throws `CodecError`, and nothing else, whatever `bytes` holds.
 */
export function decodeEntry(bytes: Uint8Array): Entry {
  return decodeRecord(bytes, RecordKind.Entry, readEntryV1, readBinaryEntry);
}
