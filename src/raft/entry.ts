/**
 * The kinds of log entry. Values match etcd's `raftpb.EntryType`.
 */
export const EntryType = {
  /** An application command; `data` is opaque to Raft. */
  EntryNormal: 0,
  /** A single-step membership change; `data` is an encoded {@link ConfChange}. */
  EntryConfChange: 1,
  /** A joint-consensus capable membership change; `data` is an encoded {@link ConfChangeV2}. */
  EntryConfChangeV2: 2,
} as const;

/** One of the {@link EntryType} values. */
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/**
 * A Raft log entry.
 *
 * Invariant: within one log, `index` values are consecutive and `term` values never decrease.
 */
export interface Entry {
  /** The leader term in which the entry was created. */
  term: number;
  /** The entry's position in the log (the first real entry has index 1). */
  index: number;
  /** The entry kind. */
  type: EntryType;
  /** The payload: an application command, or an encoded conf change. */
  data: Uint8Array;
}

/**
 * The state a node must persist before it sends the messages of a `Ready` (Raft paper §5, Figure 2).
 */
export interface HardState {
  /** The latest term this node has seen. */
  term: number;
  /** The candidate this node voted for in `term`, or 0 for none. */
  vote: number;
  /** The highest log index known to be committed. */
  commit: number;
}

/**
 * A membership configuration: the voters and learners, and during joint consensus the
 * outgoing voters too. Values match etcd's `raftpb.ConfState`.
 */
export interface ConfState {
  /** The voters of the incoming configuration. */
  voters: number[];
  /** The learners: they receive the log but never vote and are never counted in a quorum. */
  learners: number[];
  /** The voters of the outgoing configuration; non-empty only in a joint configuration. */
  votersOutgoing: number[];
  /**
   * Nodes that become learners when the joint configuration is left; they are voters of the
   * outgoing configuration for now.
   */
  learnersNext: number[];
  /** Whether the joint configuration is left automatically once it is committed. */
  autoLeave: boolean;
}

/** The metadata of a snapshot: what it covers and the configuration at that point. */
export interface SnapshotMetadata {
  /** The membership configuration as of `index`. */
  confState: ConfState;
  /** The last log index the snapshot covers. */
  index: number;
  /** The term of the entry at `index`. */
  term: number;
}

/** A state machine snapshot with its metadata. */
export interface Snapshot {
  /** The state machine's serialized state; opaque to Raft. */
  data: Uint8Array;
  /** What the snapshot covers. */
  metadata: SnapshotMetadata;
}

/** Bytes of zero length, shared where an empty payload is needed. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Returns a new empty {@link ConfState}. */
export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** Returns a new empty {@link HardState} (term 0, no vote, commit 0). */
export function emptyHardState(): HardState {
  return { term: 0, vote: 0, commit: 0 };
}

/** Returns a new empty snapshot (index 0, term 0, empty configuration). */
export function emptySnapshot(): Snapshot {
  return { data: EMPTY_BYTES, metadata: { confState: emptyConfState(), index: 0, term: 0 } };
}

/** Whether the hard state is the empty one (nothing has ever been persisted). */
export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0 && hs.commit === 0;
}

/** Whether the snapshot is empty, that is, covers index 0. */
export function isEmptySnapshot(snap: Snapshot | undefined): boolean {
  return snap === undefined || snap.metadata.index === 0;
}

/** Whether two hard states are equal field by field. */
export function isHardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** The fixed per-entry overhead counted by {@link entrySize}, for the header fields. */
export const ENTRY_OVERHEAD = 16;

/**
 * The size of an entry for flow control and the size limits of the config: its payload
 * plus a fixed overhead for the header fields, as etcd counts it on the wire.
 */
export function entrySize(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD;
}

/** The payload size of an entry, used for `maxUncommittedEntriesSize` accounting (etcd's `payloadSize`). */
export function payloadSize(e: Entry): number {
  return e.data.length;
}

/** Sums {@link payloadSize} over entries. */
export function payloadsSize(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += e.data.length;
  return s;
}

/**
 * Returns the longest prefix of `ents` whose total {@link entrySize} does not exceed `maxSize`,
 * always keeping at least one entry. Returns `ents` itself when nothing is cut.
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySize(ents[limit]!);
    if (size > maxSize) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}
