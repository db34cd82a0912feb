import type { Bytes, Event, KeyValue, ReadonlyEvent, ResponseHeader } from '../types.js';

/** What a watch leaves out (`etcdserverpb.WatchCreateRequest.FilterType`). */
export const WatchFilterType = {
  /** Leave out PUT events. */
  NOPUT: 0,
  /** Leave out DELETE events. */
  NODELETE: 1,
} as const;
/** One of {@link WatchFilterType}'s values. */
export type WatchFilterType = (typeof WatchFilterType)[keyof typeof WatchFilterType];

/** The options of `KvClient.watch` (etcd's `WatchCreateRequest` without its key). */
export interface WatchOptions {
  /** The end of the watched range (exclusive); `"\0"` watches every key >= key. Default: the key alone. */
  rangeEnd?: Bytes | undefined;
  /** Every key starting with the key (sets `rangeEnd`). */
  prefix?: boolean | undefined;
  /**
   * The first revision to deliver (inclusive). 0 or absent: the next one to be written. A past
   * revision replays history from storage; a future one waits for it. Below the compacted
   * revision the watch ends at once with `compactRevision` set.
   */
  startRevision?: number | undefined;
  /** Attach each event's previous key-value (`prevKv`), when it existed and is not compacted. */
  prevKv?: boolean | undefined;
  /** Send an empty progress batch periodically while the watcher is synced and idle. */
  progressNotify?: boolean | undefined;
  /** Event kinds to leave out. */
  filters?: readonly WatchFilterType[] | undefined;
  /** Split batches larger than the fragment size into several, all but the last with `fragment: true`. */
  fragment?: boolean | undefined;
}

/** One delivery of a watch (etcd's `WatchResponse`). */
export interface WatchBatch {
  /** The header: `revision` is the store revision the batch is current as of. */
  header: ResponseHeader;
  /** This watcher's id on its member. */
  watchId: number;
  /**
   * The events, in revision order, then op order within a revision; whole revisions only (unless
   * fragmented). The array and its event objects may be shared with the member's other watchers
   * (and the store's observers): read-only.
   */
  events: readonly ReadonlyEvent[];
  /** Set when the watch ended because its start revision was compacted: the compacted revision. */
  compactRevision: number;
  /** Whether the watch ended (compacted, or cancelled). */
  canceled: boolean;
  /** Why the watch ended. */
  cancelReason: string;
  /** Whether more fragments of the same batch follow. */
  fragment: boolean;
  /** Whether this is a progress notification: every event up to `header.revision` was delivered. */
  progressNotify: boolean;
}

/** What the watch machinery reads from a member's KV. */
export interface WatchSource {
  /** The latest durable (visible) revision. */
  revision(): number;
  /** The compacted revision (-1 before any compaction). */
  compactRevision(): number;
  /** Calls `fn` after each applied revision is durable; returns the unsubscribe function. */
  onRevision(fn: (r: { revision: number; events: readonly ReadonlyEvent[] }) => void): () => void;
  /**
   * Calls `fn('begin')` before a snapshot replaces the state and `fn('end')` after: watchers then
   * catch up from storage. Returns the unsubscribe function.
   */
  onRestore(fn: (phase: 'begin' | 'end') => void): () => void;
  /** The events on `[key, rangeEnd)` from revision `from` to `to` inclusive, from storage. */
  readEvents(key: Uint8Array, rangeEnd: Uint8Array, from: number, to: number): Promise<Event[]>;
  /** The key-value of `key` at revision `rev`, if it existed then and `rev` is not compacted. */
  readAt(key: Uint8Array, rev: number): Promise<KeyValue | undefined>;
  /** A response header at `revision`. */
  header(revision: number): ResponseHeader;
}
