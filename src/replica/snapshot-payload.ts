import { decodeAddress, encodeAddress } from './envelope.js';

/**
 * The data of a replica's snapshot: the address book, the client-session table (see
 * `sessions.ts`), then the state machine's bytes.
 *
 * Layout (big-endian): a tag (u8) naming the format version, count (u32), then per member id
 * (f64), address length (u32) and UTF-8 address; in version 2 then the session table's length
 * (u32) and bytes; then the state machine's snapshot to the end.
 * - Version 1, tag `0x53`: book and state machine bytes. Still read (its session table is
 *   absent); no longer written.
 * - Version 2, tag `0x54`: book, session table and state machine bytes.
 * - By reference, tag `0x55`: book and session table, then the state machine's durable
 *   applied index (f64) in place of its bytes: the state is the state machine's own database
 *   (see `StateMachine.persist`). Only ever stored by the member that took it: before a member
 *   sends it, the state machine's bytes are captured and it goes out as version 3.
 * - Version 3, tag `0x56`: book, session table, the index and term (f64 each) of the state
 *   machine's bytes that follow (see {@link SnapshotPayload.state}).
 */
export interface SnapshotPayload {
  /** Every member's address as of the snapshot. */
  book: Map<number, string>;
  /**
   * The encoded session table as of the snapshot; absent in a version 1 snapshot. When
   * encoding, an absent table is written as an empty one.
   */
  sessions?: Uint8Array;
  /** The state machine's snapshot bytes. */
  data: Uint8Array;
  /**
   * Present for a snapshot by reference (its `data` is then empty): the state machine's
   * applied index made durable when the snapshot was taken; its own database holds the state.
   */
  byReference?: SnapshotByReference;
  /**
   * Present when the state machine's bytes hold a newer state than the snapshot's index (a
   * snapshot by reference, sent with the state captured at its sending): the index and term of
   * the last entry they hold. The receiver restores them at that index, and applies to the state
   * machine only the entries after it.
   */
  state?: SnapshotState;
}

/** The log position of the state a payload carries (see {@link SnapshotPayload.state}). */
export interface SnapshotState {
  /** The index of the last entry whose effects the state holds. */
  index: number;
  /** The term of that entry. */
  term: number;
}

/** What a snapshot by reference records about the state machine it refers to. */
export interface SnapshotByReference {
  /** The state machine's `appliedIndex()` durably written when the snapshot was taken. */
  appliedIndex: number;
}

const TAG_V1 = 0x53;
const TAG_V2 = 0x54;
const TAG_REF = 0x55;
const TAG_V3 = 0x56;

/** Whether `data` is a snapshot payload by reference (see {@link SnapshotPayload.byReference}): only its tag is read. */
export function isPayloadByReference(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === TAG_REF;
}

/** Encodes the part of a {@link SnapshotPayload} before the state machine's bytes. */
export function encodeSnapshotPayloadHeader(p: Omit<SnapshotPayload, 'data'>): Uint8Array {
  const addrs = [...p.book].map(([id, a]) => [id, encodeAddress(a)] as const);
  const sessions = p.sessions ?? new Uint8Array(0);
  const { byReference: ref, state } = p;
  let size = 5 + 4 + sessions.length + (ref === undefined ? 0 : 8) + (state === undefined ? 0 : 16);
  for (const [, a] of addrs) size += 12 + a.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = ref !== undefined ? TAG_REF : state !== undefined ? TAG_V3 : TAG_V2;
  dv.setUint32(1, addrs.length);
  let off = 5;
  for (const [id, a] of addrs) {
    dv.setFloat64(off, id);
    dv.setUint32(off + 8, a.length);
    out.set(a, off + 12);
    off += 12 + a.length;
  }
  dv.setUint32(off, sessions.length);
  out.set(sessions, off + 4);
  off += 4 + sessions.length;
  if (ref !== undefined) dv.setFloat64(off, ref.appliedIndex);
  else if (state !== undefined) {
    dv.setFloat64(off, state.index);
    dv.setFloat64(off + 8, state.term);
  }
  return out;
}

/** Encodes a {@link SnapshotPayload}. */
export function encodeSnapshotPayload(p: SnapshotPayload): Uint8Array {
  const header = encodeSnapshotPayloadHeader(p);
  const out = new Uint8Array(header.length + p.data.length);
  out.set(header, 0);
  out.set(p.data, header.length);
  return out;
}

/** A parsed payload header: the book, the session table, and where the state machine's bytes start. */
type ParsedHeader = { book: Map<number, string>; sessions?: Uint8Array; byReference?: SnapshotByReference; state?: SnapshotState; end: number };

/**
 * Parses the header of a payload: `'short'` when `bytes` end inside it, `'foreign'` when
 * they are not a payload (no tag, or lengths that run past the end of a complete payload).
 */
function parseHeader(bytes: Uint8Array, complete: boolean): ParsedHeader | 'short' | 'foreign' {
  const book = new Map<number, string>();
  if (bytes.length >= 1 && bytes[0] !== TAG_V1 && bytes[0] !== TAG_V2 && bytes[0] !== TAG_REF && bytes[0] !== TAG_V3) return 'foreign';
  const short = complete ? 'foreign' : 'short';
  if (bytes.length < 5) return short;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(1);
  let off = 5;
  for (let i = 0; i < count; i++) {
    if (off + 12 > bytes.length) return short;
    const id = dv.getFloat64(off);
    const len = dv.getUint32(off + 8);
    if (off + 12 + len > bytes.length) return short;
    book.set(id, decodeAddress(bytes.subarray(off + 12, off + 12 + len)));
    off += 12 + len;
  }
  if (bytes[0] === TAG_V1) return { book, end: off };
  if (off + 4 > bytes.length) return short;
  const len = dv.getUint32(off);
  if (off + 4 + len > bytes.length) return short;
  const sessions = bytes.subarray(off + 4, off + 4 + len);
  off += 4 + len;
  if (bytes[0] === TAG_V2) return { book, sessions, end: off };
  if (bytes[0] === TAG_V3) {
    if (off + 16 > bytes.length) return short;
    const state = { index: dv.getFloat64(off), term: dv.getFloat64(off + 8) };
    if (!Number.isSafeInteger(state.index) || state.index <= 0 || !Number.isSafeInteger(state.term) || state.term <= 0) return 'foreign';
    return { book, sessions, state, end: off + 16 };
  }
  if (off + 8 > bytes.length) return short;
  const appliedIndex = dv.getFloat64(off);
  // Nothing may follow the index, and it must be one: otherwise these bytes are not a payload.
  if (complete && off + 8 !== bytes.length) return 'foreign';
  if (!Number.isSafeInteger(appliedIndex) || appliedIndex < 0) return 'foreign';
  return { book, sessions, byReference: { appliedIndex }, end: off + 8 };
}

/**
 * Decodes a {@link SnapshotPayload} of either version. Bytes that are not one (an empty
 * snapshot, or one written by something else) decode to an empty book, no session table and
 * the bytes themselves as state.
 */
export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const h = parseHeader(bytes, true);
  if (typeof h === 'string') return { book: new Map(), data: bytes };
  return { ...headerFields(h), data: bytes.subarray(h.end) };
}

/** The fields of a parsed header that a payload carries. */
function headerFields(h: ParsedHeader): Omit<SnapshotPayload, 'data'> {
  return {
    book: h.book,
    ...(h.sessions === undefined ? {} : { sessions: h.sessions }),
    ...(h.byReference === undefined ? {} : { byReference: h.byReference }),
    ...(h.state === undefined ? {} : { state: h.state }),
  };
}

/** A {@link SnapshotPayload} whose state machine bytes are still to be read, chunk by chunk. */
export interface StreamedSnapshotPayload extends Omit<SnapshotPayload, 'data'> {
  /** The state machine's snapshot bytes, in chunks. */
  chunks: AsyncIterable<Uint8Array>;
}

/**
 * Decodes a payload that arrives in chunks: reads (and buffers) only the header, then yields
 * the rest as it comes. Data that is not a payload decodes as {@link decodeSnapshotPayload}
 * says (all of it is the state).
 */
export async function decodeSnapshotPayloadStream(source: AsyncIterable<Uint8Array>): Promise<StreamedSnapshotPayload> {
  const it = source[Symbol.asyncIterator]();
  let head: Uint8Array = new Uint8Array(0);
  let done = false;
  let h: ParsedHeader | 'short' | 'foreign' = 'short';
  while (h === 'short') {
    const r: IteratorResult<Uint8Array, unknown> = await it.next();
    if (r.done === true) done = true;
    else {
      const next = new Uint8Array(head.length + r.value.length);
      next.set(head, 0);
      next.set(r.value, head.length);
      head = next;
    }
    h = parseHeader(head, done);
  }
  const parsed = h === 'foreign' ? { book: new Map<number, string>(), end: 0 } : h;
  const first = head.subarray(parsed.end);
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield first;
    if (done) return;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
  }
  return { ...headerFields(parsed), chunks: rest() };
}

/**
 * What the first bytes of a payload say about where its state stands, for a receiver to check
 * before storing it: `'short'` when `head` ends inside the header (read more first), `'foreign'`
 * for bytes that are not a raftkit payload, otherwise its {@link SnapshotPayload.byReference}
 * and {@link SnapshotPayload.state} (both absent for a payload whose state is at the snapshot's
 * own index).
 */
export function payloadHeaderState(head: Uint8Array): Pick<SnapshotPayload, 'byReference' | 'state'> | 'short' | 'foreign' {
  const h = parseHeader(head, false);
  if (typeof h === 'string') return h;
  return { ...(h.byReference === undefined ? {} : { byReference: h.byReference }), ...(h.state === undefined ? {} : { state: h.state }) };
}

/** Joins chunks into one buffer. */
export async function joinChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of chunks) {
    parts.push(c);
    size += c.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of parts) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
