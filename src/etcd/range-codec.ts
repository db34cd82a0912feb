/**
 * `etcdserverpb.RangeResponse` encoded by hand, straight from raftkit/kv's {@link RangeResponse}
 * (the hottest response: no conversion to decimal strings and back through protobufjs):
 *
 * ```
 * RangeResponse   1 header ResponseHeader, 2 kvs repeated mvccpb.KeyValue, 3 more bool, 4 count int64
 * ResponseHeader  1 cluster_id uint64, 2 member_id uint64, 3 revision int64, 4 raft_term uint64
 * ```
 * Zero-valued scalars are left out (proto3); the header is always written.
 * @module
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { Writer, writeKeyValue } from '../kv/etcd-backend/proto.js';
import type { RangeResponse } from '../kv/types.js';

/** Encodes a Range response for the wire. */
export function encodeRangeResponse(r: RangeResponse): Buffer {
  let size = 64;
  for (const kv of r.kvs) size += kv.key.length + kv.value.length + 48;
  const w = new Writer(size);
  const h = r.header;
  w.message(1, (m) => {
    m.int(1, h.clusterId);
    m.int(2, h.memberId);
    m.int(3, h.revision);
    m.int(4, h.raftTerm);
  });
  for (const kv of r.kvs) w.message(2, (m) => writeKeyValue(m, kv));
  w.bool(3, r.more);
  w.int(4, r.count);
  return w.finishBuffer();
}

/**
 * The KV service definition with Range answered by {@link encodeRangeResponse}: its handler
 * returns raftkit/kv's {@link RangeResponse} as is.
 * @internal
 */
export function withRangeCodec(kv: ServiceDefinition): ServiceDefinition {
  const range = kv['Range'];
  if (range === undefined) return kv;
  return { ...kv, Range: { ...range, responseSerialize: (value: unknown) => encodeRangeResponse(value as RangeResponse) } };
}
