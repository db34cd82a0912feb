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
 * @module
 */
import type { WatchBatch } from '../kv/watch/types.js';
import { Out, headerSize, keyValueSize, lenField, numField } from './proto-out.js';

/**
 * Encodes a watcher's batch (events, a progress notification or its end) as the WatchResponse of
 * stream-local watch id `watchId`.
 * @internal
 */
export function encodeWatchResponse(b: WatchBatch, watchId: number): Buffer {
  const h = b.header;
  const hSize = headerSize(h);
  const reason = b.cancelReason === '' ? undefined : Buffer.from(b.cancelReason);
  let size = lenField(hSize) + numField(watchId) + (b.canceled ? 2 : 0) + numField(b.compactRevision) +
    (reason === undefined ? 0 : lenField(reason.length)) + (b.fragment ? 2 : 0);
  // Each event's size and its kvs' sizes, kept for the second pass: [event, kv, prevKv] per event.
  const sizes: number[] = [];
  for (const e of b.events) {
    const kv = keyValueSize(e.kv);
    const prev = e.prevKv === undefined ? -1 : keyValueSize(e.prevKv);
    const event = numField(e.type) + lenField(kv) + (prev < 0 ? 0 : lenField(prev));
    sizes.push(event, kv, prev);
    size += lenField(event);
  }
  const o = new Out(size);
  o.header(1, h, hSize);
  o.numField(2, watchId);
  if (b.canceled) o.bool(4);
  o.numField(5, b.compactRevision);
  if (reason !== undefined) o.bytesField(6, reason);
  if (b.fragment) o.bool(7);
  for (let i = 0; i < b.events.length; i++) {
    const e = b.events[i]!;
    o.nested(11, sizes[3 * i]!);
    o.numField(1, e.type);
    o.keyValue(2, e.kv, sizes[3 * i + 1]!);
    const prev = sizes[3 * i + 2]!;
    if (e.prevKv !== undefined && prev >= 0) o.keyValue(3, e.prevKv, prev);
  }
  return o.buf;
}
