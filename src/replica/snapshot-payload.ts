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
}

const TAG_V1 = 0x53;
const TAG_V2 = 0x54;

/** Encodes the part of a {@link SnapshotPayload} before the state machine's bytes. */
export function encodeSnapshotPayloadHeader(p: Omit<SnapshotPayload, 'data'>): Uint8Array {
  const addrs = [...p.book].map(([id, a]) => [id, encodeAddress(a)] as const);
  const sessions = p.sessions ?? new Uint8Array(0);
  let size = 5 + 4 + sessions.length;
  for (const [, a] of addrs) size += 12 + a.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = TAG_V2;
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
type ParsedHeader = { book: Map<number, string>; sessions?: Uint8Array; end: number };

/**
 * Parses the header of a payload: `'short'` when `bytes` end inside it, `'foreign'` when
 * they are not a payload (no tag, or lengths that run past the end of a complete payload).
 */
function parseHeader(bytes: Uint8Array, complete: boolean): ParsedHeader | 'short' | 'foreign' {
  const book = new Map<number, string>();
  if (bytes.length >= 1 && bytes[0] !== TAG_V1 && bytes[0] !== TAG_V2) return 'foreign';
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
  return { book, sessions: bytes.subarray(off + 4, off + 4 + len), end: off + 4 + len };
}

/**
 * Decodes a {@link SnapshotPayload} of either version. Bytes that are not one (an empty
 * snapshot, or one written by something else) decode to an empty book, no session table and
 * the bytes themselves as state.
 */
export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const h = parseHeader(bytes, true);
  if (typeof h === 'string') return { book: new Map(), data: bytes };
  return { book: h.book, ...(h.sessions === undefined ? {} : { sessions: h.sessions }), data: bytes.subarray(h.end) };
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
  return { book: parsed.book, ...(parsed.sessions === undefined ? {} : { sessions: parsed.sessions }), chunks: rest() };
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
