/**
 * The hottest responses encoded by hand, straight from raftkit/kv's shapes (no conversion to
 * decimal strings and back through protobufjs): `etcdserverpb.RangeResponse`,
 * `etcdserverpb.PutResponse` and the `etcdserverpb.WatchResponse`s that carry events.
 *
 * ```
 * RangeResponse   1 header ResponseHeader, 2 kvs repeated mvccpb.KeyValue, 3 more bool, 4 count int64
 * PutResponse     1 header ResponseHeader, 2 prev_kv mvccpb.KeyValue
 * WatchResponse   1 header, 2 watch_id int64, 3 created bool, 4 canceled bool, 5 compact_revision int64,
 *                 6 cancel_reason string, 7 fragment bool, 11 events repeated mvccpb.Event
 * ResponseHeader  1 cluster_id uint64, 2 member_id uint64, 3 revision int64, 4 raft_term uint64
 * mvccpb.Event    1 type (0 PUT, 1 DELETE), 2 kv KeyValue, 3 prev_kv KeyValue
 * ```
 * Zero-valued scalars are left out (proto3); headers are always written.
 * @module
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { Writer, writeKeyValue } from '../kv/etcd-backend/proto.js';
import type { KeyValue, PutResponse, RangeResponse, ResponseHeader } from '../kv/types.js';
import type { WatchBatch } from '../kv/watch/types.js';
import { decodePutRequest, decodeRangeRequest } from './request-codec.js';

/** The header's cluster and member id fields (bigint varints), encoded once per pair: a server's never change. */
let ids: { clusterId: bigint; memberId: bigint; fields: Uint8Array } | undefined;

function idFields(h: ResponseHeader): Uint8Array {
  if (ids?.clusterId !== h.clusterId || ids.memberId !== h.memberId) {
    const w = new Writer(24);
    w.int(1, h.clusterId);
    w.int(2, h.memberId);
    ids = { clusterId: h.clusterId, memberId: h.memberId, fields: w.finish() };
  }
  return ids.fields;
}

function writeHeader(w: Writer, h: ResponseHeader): void {
  const fields = idFields(h);
  w.message(1, (m) => {
    m.raw(fields);
    m.int(3, h.revision);
    m.int(4, h.raftTerm);
  });
}

const kvBytes = (kv: KeyValue | undefined): number => (kv === undefined ? 0 : kv.key.length + kv.value.length + 48);

/** Encodes a Range response for the wire. */
export function encodeRangeResponse(r: RangeResponse): Buffer {
  let size = 64;
  for (const kv of r.kvs) size += kvBytes(kv);
  const w = new Writer(size);
  writeHeader(w, r.header);
  for (const kv of r.kvs) w.message(2, (m) => writeKeyValue(m, kv));
  w.bool(3, r.more);
  w.int(4, r.count);
  return w.finishBuffer();
}

/** Encodes a Put response for the wire. */
export function encodePutResponse(r: PutResponse): Buffer {
  const prev = r.prevKv;
  const w = new Writer(64 + kvBytes(prev));
  writeHeader(w, r.header);
  if (prev !== undefined) w.message(2, (m) => writeKeyValue(m, prev));
  return w.finishBuffer();
}

/** Encodes a watcher's batch (events, a progress notification or its end) as a WatchResponse of stream-local watch id `watchId`. */
export function encodeWatchBatch(b: WatchBatch, watchId: number): Buffer {
  let size = 96 + b.cancelReason.length * 3;
  for (const e of b.events) size += kvBytes(e.kv) + kvBytes(e.prevKv) + 8;
  const w = new Writer(size);
  writeHeader(w, b.header);
  w.int(2, watchId);
  w.bool(4, b.canceled);
  w.int(5, b.compactRevision);
  if (b.cancelReason !== '') w.lengthDelimited(6, Buffer.from(b.cancelReason));
  w.bool(7, b.fragment);
  for (const e of b.events) {
    w.message(11, (m) => {
      m.int(1, e.type);
      m.message(2, (k) => writeKeyValue(k, e.kv));
      const prev = e.prevKv;
      if (prev !== undefined) m.message(3, (k) => writeKeyValue(k, prev));
    });
  }
  return w.finishBuffer();
}

/**
 * The service definitions with the hand-written codecs: KV's Range and Put handlers return
 * raftkit/kv's {@link RangeResponse} and {@link PutResponse} as they are, their requests are
 * decoded by `decodeRangeRequest` and `decodePutRequest` (request-codec.ts), and the Watch stream may write a Buffer from
 * {@link encodeWatchBatch} (sent as it is) next to plain response objects (encoded by protobufjs).
 * @internal
 */
export function withResponseCodecs<T extends { KV: ServiceDefinition; Watch: ServiceDefinition }>(defs: T): T {
  const range = defs.KV['Range'];
  const put = defs.KV['Put'];
  const watch = defs.Watch['Watch'];
  if (range === undefined || put === undefined || watch === undefined) return defs;
  const encodeWatch = watch.responseSerialize;
  return {
    ...defs,
    KV: {
      ...defs.KV,
      Range: { ...range, requestDeserialize: (b: Buffer) => decodeRangeRequest(b), responseSerialize: (value: unknown) => encodeRangeResponse(value as RangeResponse) },
      Put: { ...put, requestDeserialize: (b: Buffer) => decodePutRequest(b), responseSerialize: (value: unknown) => encodePutResponse(value as PutResponse) },
    },
    Watch: { ...defs.Watch, Watch: { ...watch, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encodeWatch(value)) } },
  };
}
