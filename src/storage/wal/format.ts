import { decodeSnapshotMetadata, encodeSnapshotMetadata } from '../../codec/state.js';
import type { Entry, EntryType, HardState, SnapshotMetadata } from '../../raft/entry.js';
import { crc32c } from '../crc32c.js';

/**
 * The on-disk format of {@link WalStorage} segments.
 *
 * A segment is a preallocated, zero-filled file of frames. Each frame is what one write put
 * down (one `save`, `compact` or snapshot record), 8-byte aligned:
 *
 * ```
 * frame   u32le(payload length) ‖ u32le(crc32c(payload)) ‖ payload ‖ zero padding to 8
 * payload record*                       (a length of 0 marks the end of the written part)
 * record  u8(type) ‖ body:
 *   1 header     u64(seq) ‖ hardState ‖ u64(offset index) ‖ u64(offset term) ‖ metadata
 *   2 entry      u64(index) ‖ u64(term) ‖ u8(entry type) ‖ u32(length) ‖ data
 *   3 hard state u64(term) ‖ u64(vote) ‖ u64(commit)
 *   4 install    metadata          (a received snapshot replaces the log)
 *   5 snapshot   metadata          (a snapshot of the log was recorded; no compaction)
 *   6 compact    u64(index) ‖ u64(term)
 * metadata       u32(length) ‖ encodeSnapshotMetadata bytes
 * ```
 *
 * Integers are little-endian; a u64 is written as two u32 halves (indexes are safe integers).
 * The first frame of every segment starts with a header record holding the state at the
 * segment's start, so that older segments can be deleted once compaction passes them.
 * @module
 */

/** The record types of a frame's payload. */
export const RecordType = {
  /** The state at the start of a segment. */
  Header: 1,
  /** One log entry (replaces any entry at or after its index). */
  Entry: 2,
  /** The hard state. */
  HardState: 3,
  /** A snapshot installed over the log. */
  Install: 4,
  /** A snapshot of the log recorded (the log stays). */
  Snapshot: 5,
  /** Compaction up to an index. */
  Compact: 6,
} as const;

/** The bytes in front of a frame's payload: length and checksum. */
export const FRAME_HEADER = 8;
/** Frames start at multiples of this. */
export const FRAME_ALIGN = 8;

const TWO_32 = 0x1_0000_0000;

/** The state a segment header records. */
export interface SegmentState {
  /** The hard state. */
  hardState: HardState;
  /** The compaction point: the index and term of the log's dummy entry. */
  offset: { index: number; term: number };
  /** The current snapshot's metadata. */
  snapshot: SnapshotMetadata;
}

/** Rounds `n` up to a multiple of {@link FRAME_ALIGN}. */
export function alignUp(n: number): number {
  return (n + FRAME_ALIGN - 1) & ~(FRAME_ALIGN - 1);
}

/**
 * Builds one frame in a reusable buffer: `begin()`, then records, then `finish()`. The
 * returned view is valid until the next `begin()`.
 */
export class FrameWriter {
  #buf = Buffer.allocUnsafe(1 << 16);
  #at = FRAME_HEADER;

  /** Starts a new frame. */
  begin(): void {
    this.#at = FRAME_HEADER;
  }

  /** Whether the frame holds any record. */
  get empty(): boolean {
    return this.#at === FRAME_HEADER;
  }

  /** The bytes of records in the frame so far. */
  get size(): number {
    return this.#at - FRAME_HEADER;
  }

  #reserve(n: number): Buffer {
    const need = this.#at + n + FRAME_ALIGN;
    if (need > this.#buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2));
      this.#buf.copy(next, 0, 0, this.#at);
      this.#buf = next;
    }
    return this.#buf;
  }

  #u64(b: Buffer, n: number): void {
    b.writeUInt32LE(n >>> 0, this.#at);
    b.writeUInt32LE(Math.floor(n / TWO_32), this.#at + 4);
    this.#at += 8;
  }

  #metadata(md: SnapshotMetadata): void {
    const bytes = encodeSnapshotMetadata(md);
    const b = this.#reserve(4 + bytes.length);
    b.writeUInt32LE(bytes.length, this.#at);
    b.set(bytes, this.#at + 4);
    this.#at += 4 + bytes.length;
  }

  #hardState(b: Buffer, hs: HardState): void {
    this.#u64(b, hs.term);
    this.#u64(b, hs.vote);
    this.#u64(b, hs.commit);
  }

  /** Appends a header record. */
  header(seq: number, st: SegmentState): void {
    const b = this.#reserve(1 + 8 * 6);
    b[this.#at++] = RecordType.Header;
    this.#u64(b, seq);
    this.#hardState(b, st.hardState);
    this.#u64(b, st.offset.index);
    this.#u64(b, st.offset.term);
    this.#metadata(st.snapshot);
  }

  /** Appends an entry record. */
  entry(e: Entry): void {
    const b = this.#reserve(22 + e.data.length);
    b[this.#at++] = RecordType.Entry;
    this.#u64(b, e.index);
    this.#u64(b, e.term);
    b[this.#at++] = e.type;
    b.writeUInt32LE(e.data.length, this.#at);
    b.set(e.data, this.#at + 4);
    this.#at += 4 + e.data.length;
  }

  /** Appends a hard state record. */
  hardState(hs: HardState): void {
    const b = this.#reserve(25);
    b[this.#at++] = RecordType.HardState;
    this.#hardState(b, hs);
  }

  /** Appends an install or snapshot record. */
  snapshot(type: typeof RecordType.Install | typeof RecordType.Snapshot, md: SnapshotMetadata): void {
    const b = this.#reserve(1);
    b[this.#at++] = type;
    this.#metadata(md);
  }

  /** Appends a compact record. */
  compact(index: number, term: number): void {
    const b = this.#reserve(17);
    b[this.#at++] = RecordType.Compact;
    this.#u64(b, index);
    this.#u64(b, term);
  }

  /** Appends the records of another frame's payload (used to put a header in front of a batch). */
  raw(payload: Uint8Array): void {
    const b = this.#reserve(payload.length);
    b.set(payload, this.#at);
    this.#at += payload.length;
  }

  /** Seals the frame (length, checksum, padding) and returns it. */
  finish(): Buffer {
    const b = this.#reserve(0);
    const len = this.#at - FRAME_HEADER;
    const end = alignUp(this.#at);
    b.fill(0, this.#at, end);
    b.writeUInt32LE(len, 0);
    b.writeUInt32LE(crc32c(b.subarray(FRAME_HEADER, this.#at)), 4);
    return b.subarray(0, end);
  }
}

/** One frame read back: where it starts, its payload, and where the next one starts. */
export interface ReadFrame {
  /** The byte offset of the frame in its segment. */
  at: number;
  /** The payload (a view into the segment's bytes). */
  payload: Buffer;
  /** The offset of the next frame. */
  next: number;
}

/**
 * Reads the frame at `at`: a {@link ReadFrame}, `'end'` at a zero length (the unwritten part),
 * or another string saying why the bytes there are not a valid frame.
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- 'end' documents the one special string
export function readFrame(seg: Buffer, at: number): ReadFrame | 'end' | string {
  if (at + FRAME_HEADER > seg.length) return at === seg.length ? 'end' : 'frame header past the end of the segment';
  const len = seg.readUInt32LE(at);
  if (len === 0) return 'end';
  const end = at + FRAME_HEADER + len;
  if (end > seg.length) return `frame length ${len} runs past the end of the segment`;
  const payload = seg.subarray(at + FRAME_HEADER, end);
  if (crc32c(payload) !== seg.readUInt32LE(at + 4)) return 'checksum mismatch';
  return { at, payload, next: alignUp(end) };
}

/** Whether a valid frame starts at any aligned offset from `from` on (a torn tail has none). */
export function validFrameAfter(seg: Buffer, from: number): number | undefined {
  for (let at = alignUp(from); at + FRAME_HEADER <= seg.length; at += FRAME_ALIGN) {
    if (seg.readUInt32LE(at) === 0) continue;
    const f = readFrame(seg, at);
    if (typeof f === 'object') return at;
  }
  return undefined;
}

/** A decoded record, as {@link decodeRecords} yields them. */
export type WalRecord =
  | { type: typeof RecordType.Header; seq: number; state: SegmentState }
  | { type: typeof RecordType.Entry; entry: Entry }
  | { type: typeof RecordType.HardState; hardState: HardState }
  | { type: typeof RecordType.Install | typeof RecordType.Snapshot; metadata: SnapshotMetadata }
  | { type: typeof RecordType.Compact; index: number; term: number };

/** Reads the records of a frame's payload; entry data is copied out of `payload`. */
export function decodeRecords(payload: Buffer): WalRecord[] {
  const out: WalRecord[] = [];
  let at = 0;
  const need = (n: number): void => {
    if (at + n > payload.length) throw new Error(`record body runs past the frame (${n} bytes at ${at})`);
  };
  const u64 = (): number => {
    need(8);
    const n = payload.readUInt32LE(at) + payload.readUInt32LE(at + 4) * TWO_32;
    at += 8;
    return n;
  };
  const hardState = (): HardState => ({ term: u64(), vote: u64(), commit: u64() });
  const metadata = (): SnapshotMetadata => {
    need(4);
    const len = payload.readUInt32LE(at);
    need(4 + len);
    const md = decodeSnapshotMetadata(payload.subarray(at + 4, at + 4 + len));
    at += 4 + len;
    return md;
  };
  while (at < payload.length) {
    const type = payload[at++];
    switch (type) {
      case RecordType.Header: {
        const seq = u64();
        const hs = hardState();
        const offset = { index: u64(), term: u64() };
        out.push({ type, seq, state: { hardState: hs, offset, snapshot: metadata() } });
        break;
      }
      case RecordType.Entry: {
        const index = u64();
        const term = u64();
        need(5);
        const etype = payload[at]! as EntryType;
        const len = payload.readUInt32LE(at + 1);
        at += 5;
        need(len);
        const data = new Uint8Array(len);
        data.set(payload.subarray(at, at + len));
        at += len;
        out.push({ type, entry: { index, term, type: etype, data } });
        break;
      }
      case RecordType.HardState:
        out.push({ type, hardState: hardState() });
        break;
      case RecordType.Install:
      case RecordType.Snapshot:
        out.push({ type, metadata: metadata() });
        break;
      case RecordType.Compact:
        out.push({ type, index: u64(), term: u64() });
        break;
      default:
        throw new Error(`unknown record type ${String(type)} at ${at - 1}`);
    }
  }
  return out;
}
