/**
 * `etcdserverpb.WatchResponse`s that carry a watcher's batch, encoded by hand in two passes
 * (proto-out.ts). A watcher's member sends one per revision, so this runs once per event in a
 * stream of puts.
 *
 * ```
 * WatchResponse   1 header ResponseHeader, 2 watch_id int64, 4 canceled bool, 5 compact_revision int64,
 *                 6 cancel_reason string, 7 fragment bool, 11 events repeated mvccpb.Event
 * mvccpb.Event    1 type (0 PUT, 1 DELETE), 2 kv KeyValue, 3 prev_kv KeyValue
 * ```
 * Zero-valued scalars and empty bytes are left out (proto3); the header and each event's kv are
 * always written.
 *
 * {@link encodeWatchFrames} writes several responses as gRPC's length-prefixed messages, one after
 * another in one Buffer (each: a zero compression flag, its length as a 4-byte big-endian integer,
 * then its bytes), so that a watcher's ready batches reach the stream in one write.
 * @module
 */
import type { WatchBatch } from '../kv/watch/types.js';
import { Out, headerSize, keyValueSize, lenField, numField } from './proto-out.js';

/** The bytes of gRPC's message prefix: compression flag and length. */
export const GRPC_PREFIX_BYTES = 5;

/** A batch's encoded size and what its second pass needs. */
interface Sized {
  size: number;
  hSize: number;
  reason: Buffer | undefined;
  /** Each event's size and its kvs' sizes: [event, kv, prevKv (-1: none)] per event. */
  sizes: number[];
}

function sizeOf(b: WatchBatch, watchId: number): Sized {
  const hSize = headerSize(b.header);
  const reason = b.cancelReason === '' ? undefined : Buffer.from(b.cancelReason);
  let size = lenField(hSize) + numField(watchId) + (b.canceled ? 2 : 0) + numField(b.compactRevision) +
    (reason === undefined ? 0 : lenField(reason.length)) + (b.fragment ? 2 : 0);
  const sizes: number[] = [];
  for (const e of b.events) {
    const kv = keyValueSize(e.kv);
    const prev = e.prevKv === undefined ? -1 : keyValueSize(e.prevKv);
    const event = numField(e.type) + lenField(kv) + (prev < 0 ? 0 : lenField(prev));
    sizes.push(event, kv, prev);
    size += lenField(event);
  }
  return { size, hSize, reason, sizes };
}

function write(o: Out, b: WatchBatch, watchId: number, s: Sized): void {
  o.header(1, b.header, s.hSize);
  o.numField(2, watchId);
  if (b.canceled) o.bool(4);
  o.numField(5, b.compactRevision);
  if (s.reason !== undefined) o.bytesField(6, s.reason);
  if (b.fragment) o.bool(7);
  const sizes = s.sizes;
  for (let i = 0; i < b.events.length; i++) {
    const e = b.events[i]!;
    o.nested(11, sizes[3 * i]!);
    o.numField(1, e.type);
    o.keyValue(2, e.kv, sizes[3 * i + 1]!);
    const prev = sizes[3 * i + 2]!;
    if (e.prevKv !== undefined && prev >= 0) o.keyValue(3, e.prevKv, prev);
  }
}

/**
 * Encodes a watcher's batch (events, a progress notification or its end) as the WatchResponse of
 * stream-local watch id `watchId`.
 * @internal
 */
export function encodeWatchResponse(b: WatchBatch, watchId: number): Buffer {
  const s = sizeOf(b, watchId);
  const o = new Out(s.size);
  write(o, b, watchId, s);
  return o.buf;
}

/**
 * Encodes `batches` as WatchResponses (batch i of stream-local watch id `watchIds[i]`), each framed
 * as a gRPC message, in order, in one Buffer: the bytes grpc-js would write for each of them sent alone.
 * @internal
 */
export function encodeWatchFrames(batches: readonly WatchBatch[], watchIds: readonly number[]): Buffer {
  const sized = batches.map((b, i) => sizeOf(b, watchIds[i]!));
  let total = 0;
  for (const s of sized) total += GRPC_PREFIX_BYTES + s.size;
  const o = new Out(total);
  for (let i = 0; i < batches.length; i++) {
    const s = sized[i]!;
    o.byte(0);
    o.buf.writeUInt32BE(s.size, o.pos);
    o.pos += 4;
    write(o, batches[i]!, watchIds[i]!, s);
  }
  return o.buf;
}

/**
 * etcd's `sendFragments`, for a watcher created with `fragment`: a batch whose WatchResponse would
 * be `maxBytes` (etcd's: its request limit plus 512 KiB of gRPC overhead) or larger, and which holds two events or more, is sent
 * as several responses, each filled with events while it stays below `maxBytes` (but never
 * without one), all but the last with `fragment` set. Sizes are the encoded ones, counted as etcd
 * counts them (with the `fragment` flag), so the responses split where etcd's split.
 * @internal
 */
export function fragmentBatch(b: WatchBatch, watchId: number, maxBytes: number): WatchBatch[] {
  if (b.events.length < 2) return [b];
  const s = sizeOf(b, watchId);
  if (s.size < maxBytes) return [b];
  const n = b.events.length;
  const eventBytes = (i: number): number => lenField(s.sizes[3 * i]!);
  let base = s.size + (b.fragment ? 0 : 2);
  for (let i = 0; i < n; i++) base -= eventBytes(i);
  const parts: WatchBatch[] = [];
  for (let i = 0; i < n; ) {
    const first = i;
    let size = base;
    for (; i < n && (i === first || size + eventBytes(i) < maxBytes); i++) size += eventBytes(i);
    parts.push({ ...b, events: b.events.slice(first, i), fragment: i < n });
  }
  return parts;
}
