import { describe, expect, it } from 'vitest';
import { putIn, rangeIn } from '../../src/etcd/convert.js';
import { etcdServices } from '../../src/etcd/proto.js';
import { decodePutRequest, decodeRangeRequest } from '../../src/etcd/request-codec.js';
import { ProtoError } from '../../src/kv/etcd-backend/proto.js';
import { SeededRng } from '../../src/raft/rng.js';

const put = etcdServices().KV['Put']!;
const range = etcdServices().KV['Range']!;
/** The request as the .proto files encode it (the client's side). */
const encode = (w: Record<string, unknown>): Buffer => put.requestSerialize(w);
/** What the handlers got before the hand decoders: protobufjs's decoding, converted. */
const viaProtobufjs = (buf: Buffer): ReturnType<typeof putIn> => putIn(put.requestDeserialize(buf) as Record<string, unknown>);

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
      expect(decodePutRequest(buf)).toEqual(viaProtobufjs(buf));
    }
  });

  it('an empty message is the defaults; unknown fields are skipped; a repeated field keeps the last', () => {
    const none = decodePutRequest(Buffer.alloc(0));
    expect([none.key.length, none.value?.length, none.lease, none.prevKv, none.ignoreValue, none.ignoreLease]).toEqual([0, 0, 0n, false, false, false]);
    expect(viaProtobufjs(Buffer.alloc(0))).toEqual(none);
    // field 9 (varint 5), field 10 (bytes "zz"), field 11 (fixed64), field 12 (fixed32), then key "a", key "b", lease 7
    const buf = Buffer.from([0x48, 5, 0x52, 2, 0x7a, 0x7a, 0x59, 1, 2, 3, 4, 5, 6, 7, 8, 0x65, 1, 2, 3, 4, 0x0a, 1, 0x61, 0x0a, 1, 0x62, 0x18, 7]);
    const r = decodePutRequest(buf);
    expect(Buffer.from(r.key).toString()).toBe('b');
    expect(r.lease).toBe(7n);
    expect(viaProtobufjs(buf)).toEqual(r);
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

describe('decodeRangeRequest (etcdserverpb.RangeRequest by hand)', () => {
  const viaRange = (buf: Buffer): ReturnType<typeof rangeIn> => rangeIn(range.requestDeserialize(buf) as Record<string, unknown>);
  const int64s = ['0', '1', '127', '128', '-1', '300', '9007199254740991', '9223372036854775807', '-9223372036854775808', '1234567890123'];

  it('gives the handler the same request as protobufjs + rangeIn for seeded requests (negative and 64-bit integers, enums, flags)', () => {
    const rng = new SeededRng(19);
    const pick = (): string => int64s[rng.nextInt(int64s.length)]!;
    const maybe = (v: () => unknown): unknown => (rng.nextInt(3) === 0 ? undefined : v());
    for (let i = 0; i < 400; i++) {
      const bytes = (max: number): Buffer => Buffer.from(Array.from({ length: rng.nextInt(max) }, () => rng.nextInt(256)));
      const w = {
        key: bytes(40), rangeEnd: maybe(() => bytes(300)), limit: maybe(pick), revision: maybe(pick),
        sortOrder: maybe(() => [0, 1, 2, -1, 7][rng.nextInt(5)]), sortTarget: maybe(() => [0, 1, 2, 3, 4, -2, 200][rng.nextInt(7)]),
        serializable: rng.nextInt(2) === 1, keysOnly: rng.nextInt(2) === 1, countOnly: rng.nextInt(2) === 1,
        minModRevision: maybe(pick), maxModRevision: maybe(pick), minCreateRevision: maybe(pick), maxCreateRevision: maybe(pick),
      };
      const buf = range.requestSerialize(w);
      expect(decodeRangeRequest(buf), JSON.stringify(w)).toEqual(viaRange(buf));
    }
  });

  it('an empty message is the defaults; unknown fields are skipped; a repeated field keeps the last', () => {
    expect(decodeRangeRequest(Buffer.alloc(0))).toEqual(viaRange(Buffer.alloc(0)));
    // field 14 (varint), field 20 (bytes), field 15 (fixed64), field 16 (fixed32), key "a", limit 5, key "b", limit 9, serializable
    const buf = Buffer.from([0x70, 5, 0xa2, 0x01, 2, 0x7a, 0x7a, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x85, 0x01, 1, 2, 3, 4, 0x0a, 1, 0x61, 0x18, 5, 0x0a, 1, 0x62, 0x18, 9, 0x38, 1]);
    const r = decodeRangeRequest(buf);
    expect([Buffer.from(r.key).toString(), r.limit, r.serializable]).toEqual(['b', 9, true]);
    expect(viaRange(buf)).toEqual(r);
  });

  it('refuses malformed bytes with ERR_PROTO_DECODE: truncated key, truncated varint, a known field with the wrong wire type', () => {
    for (const bad of [[0x0a, 5, 0x61], [0x18, 0x80], [0x08, 1], [0x1a, 1, 0], [0x38]]) {
      expect(() => decodeRangeRequest(Buffer.from(bad))).toThrow(ProtoError);
    }
  });
});
