import type { ConfState, Snapshot } from '../raft/entry.js';
import type { Storage } from '../storage/storage.js';
import { decodeAddress, encodeAddress } from './envelope.js';
import type { StorageWriter } from './ready-loop.js';
import type { StateMachine } from './state-machine.js';

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

/** Encodes a {@link SnapshotPayload}. */
export function encodeSnapshotPayload(p: SnapshotPayload): Uint8Array {
  const addrs = [...p.book].map(([id, a]) => [id, encodeAddress(a)] as const);
  const sessions = p.sessions ?? new Uint8Array(0);
  let size = 5 + 4 + sessions.length + p.data.length;
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
  out.set(p.data, off + 4 + sessions.length);
  return out;
}

/**
 * Decodes a {@link SnapshotPayload} of either version. Bytes that are not one (an empty
 * snapshot, or one written by something else) decode to an empty book, no session table and
 * the bytes themselves as state.
 */
export function decodeSnapshotPayload(bytes: Uint8Array): SnapshotPayload {
  const book = new Map<number, string>();
  if (bytes.length < 5 || (bytes[0] !== TAG_V1 && bytes[0] !== TAG_V2)) return { book, data: bytes };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(1);
  let off = 5;
  for (let i = 0; i < count; i++) {
    if (off + 12 > bytes.length) return { book: new Map(), data: bytes };
    const id = dv.getFloat64(off);
    const len = dv.getUint32(off + 8);
    if (off + 12 + len > bytes.length) return { book: new Map(), data: bytes };
    book.set(id, decodeAddress(bytes.subarray(off + 12, off + 12 + len)));
    off += 12 + len;
  }
  if (bytes[0] === TAG_V1) return { book, data: bytes.subarray(off) };
  if (off + 4 > bytes.length) return { book: new Map(), data: bytes };
  const len = dv.getUint32(off);
  if (off + 4 + len > bytes.length) return { book: new Map(), data: bytes };
  return { book, sessions: bytes.subarray(off + 4, off + 4 + len), data: bytes.subarray(off + 4 + len) };
}

/** What {@link Snapshotter} needs from the replica. */
export interface SnapshotterDeps {
  /** The storage to record snapshots in and compact. */
  storage: Storage;
  /** Serializes writes with the Ready loop's. */
  writer: StorageWriter;
  /** The state machine to snapshot. */
  stateMachine: StateMachine;
  /** The address book to include. */
  book: () => Map<number, string>;
  /** The encoded session table to include, as of the applied index. */
  sessions: () => Uint8Array;
  /** The configuration as of the applied index. */
  confState: () => ConfState;
  /** Applied entries between snapshots. */
  every: number;
  /** Entries kept before the snapshot index when compacting, for followers that trail a little. */
  tail: number;
}

/**
 * Takes a snapshot every `every` applied entries: the state machine's `snapshot()` plus the
 * address book and the session table, recorded with `storage.createSnapshot` at the applied
 * index, then compacts the log up to `tail` entries before it (etcd's `SnapshotCatchUpEntries`).
 * It runs on the apply queue, so no `apply` is in progress meanwhile and the session table is
 * that of the applied index.
 */
export class Snapshotter {
  private readonly deps: SnapshotterDeps;
  /** The index of the latest snapshot stored or received. */
  lastIndex: number;

  /**
   * @param deps - see {@link SnapshotterDeps}.
   * @param lastIndex - the index of the snapshot in storage at start.
   */
  constructor(deps: SnapshotterDeps, lastIndex: number) {
    this.deps = deps;
    this.lastIndex = lastIndex;
  }

  private forced = false;

  /**
   * Asks for a snapshot at the next opportunity, if the log was ever compacted. Called when a
   * member is added: a joining member refuses a snapshot whose configuration does not include
   * it (as etcd's `raft.restore` does), so the stored one must be renewed past the conf change.
   */
  requestAfterConfChange(): void {
    if (this.deps.storage.firstIndex() > 1) this.forced = true;
  }

  /** Whether a snapshot is due at `applied`. */
  due(applied: number): boolean {
    return applied > this.lastIndex && (this.forced || applied - this.lastIndex >= this.deps.every);
  }

  /** Takes, stores and compacts a snapshot at `applied`. Returns the stored snapshot. */
  async take(applied: number): Promise<Snapshot> {
    const d = this.deps;
    const sessions = d.sessions();
    const data = await d.stateMachine.snapshot();
    const payload = encodeSnapshotPayload({ book: d.book(), sessions, data });
    const confState = d.confState();
    this.lastIndex = applied;
    this.forced = false;
    return d.writer.run(async () => {
      const snap = await d.storage.createSnapshot(applied, confState, payload);
      const compactIndex = applied - d.tail;
      if (compactIndex >= d.storage.firstIndex()) await d.storage.compact(compactIndex);
      return snap;
    });
  }
}
