import { describe, expect, it } from 'vitest';
import { putIn } from '../../src/etcd/convert.js';
import { etcdServices } from '../../src/etcd/proto.js';
import { decodePutRequest } from '../../src/etcd/request-codec.js';
import { ProtoError } from '../../src/kv/etcd-backend/proto.js';
import { SeededRng } from '../../src/raft/rng.js';

const put = etcdServices().KV['Put']!;
/** The request as the .proto files encode it (the client's side). */
const encode = (w: Record<string, unknown>): Buffer => put.requestSerialize(w);

describe('decodePutRequest (etcdserverpb.PutRequest by hand)', () => {
  it('gives putIn the same request as protobufjs for seeded requests (64-bit and negative leases, empty and large values, flags)', () => {
    const rng = new SeededRng(9);
    const leases = ['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '694d77aa9e3d9e0b'];
    for (let i = 0; i < 300; i++) {
      const bytes = (max: number): Buffer => Buffer.from(Array.from({ length: rng.nextInt(max) }, () => rng.nextInt(256)));
      const lease = leases[rng.nextInt(leases.length)]!;
      const w = {
        key: bytes(40), value: rng.nextInt(10) === 0 ? bytes(70_000) : bytes(300),
        lease: /^-?\d+$/.test(lease) ? lease : BigInt(`0x${lease}`).toString(),
        prevKv: rng.nextInt(2) === 1, ignoreValue: rng.nextInt(2) === 1, ignoreLease: rng.nextInt(2) === 1,
      };
      const buf = encode(w);
      expect(putIn(decodePutRequest(buf))).toEqual(putIn(put.requestDeserialize(buf) as Record<string, unknown>));
    }
  });

  it('an empty message is the defaults; unknown fields are skipped; a repeated field keeps the last', () => {
    const none = putIn(decodePutRequest(Buffer.alloc(0)));
    expect([none.key.length, none.value?.length, none.lease, none.prevKv, none.ignoreValue, none.ignoreLease]).toEqual([0, 0, 0n, false, false, false]);
    expect(putIn(put.requestDeserialize(Buffer.alloc(0)) as Record<string, unknown>)).toEqual(none);
    // field 9 (varint 5), field 10 (bytes "zz"), field 11 (fixed64), field 12 (fixed32), then key "a", key "b", lease 7
    const buf = Buffer.from([0x48, 5, 0x52, 2, 0x7a, 0x7a, 0x59, 1, 2, 3, 4, 5, 6, 7, 8, 0x65, 1, 2, 3, 4, 0x0a, 1, 0x61, 0x0a, 1, 0x62, 0x18, 7]);
    const r = putIn(decodePutRequest(buf));
    expect(Buffer.from(r.key).toString()).toBe('b');
    expect(r.lease).toBe(7n);
    expect(putIn(put.requestDeserialize(buf) as Record<string, unknown>)).toEqual(r);
  });

  it('refuses malformed bytes with ERR_PROTO_DECODE: truncated length, truncated varint, a known field with the wrong wire type', () => {
    for (const bad of [[0x0a, 5, 0x61], [0x18, 0x80], [0x08, 1], [0x22, 1, 0]]) {
      let err: unknown;
      try {
        decodePutRequest(Buffer.from(bad));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtoError);
      expect((err as ProtoError).code).toBe('ERR_PROTO_DECODE');
    }
  });
});
