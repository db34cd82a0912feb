import { describe, expect, it } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { encodeRangeResponse, withRangeCodec } from '../../src/etcd/range-codec.js';
import type { KeyValue, RangeResponse } from '../../src/kv/types.js';

const decode = (b: Buffer): Record<string, unknown> => etcdServices().KV['Range']!.responseDeserialize(b) as Record<string, unknown>;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const kv = (key: string, value: Uint8Array, extra: Partial<KeyValue> = {}): KeyValue => ({ key: bytes(key), value, createRevision: 2, modRevision: 5, version: 3, lease: 0n, ...extra });

describe('encodeRangeResponse (etcdserverpb.RangeResponse by hand)', () => {
  it('decodes with the .proto files to the same fields (ids of 64 bits, negative lease, values of 1, 2 and 3 length bytes)', () => {
    const r: RangeResponse = {
      header: { clusterId: 2n ** 64n - 1n, memberId: 0x1234_5678_9abc_def0n, revision: 2 ** 40, raftTerm: 7 },
      kvs: [kv('a', bytes('1')), kv('b', new Uint8Array(200).fill(7), { lease: -5n }), kv('c', new Uint8Array(20_000).fill(9), { createRevision: 0, version: 0 })],
      more: true,
      count: 12,
    };
    const out = decode(encodeRangeResponse(r));
    expect(out.header).toEqual({ clusterId: '18446744073709551615', memberId: String(0x1234_5678_9abc_def0n), revision: String(2 ** 40), raftTerm: '7' });
    expect(out.more).toBe(true);
    expect(out.count).toBe('12');
    const kvs = out.kvs as Record<string, unknown>[];
    expect(kvs).toHaveLength(3);
    expect(kvs.map((x) => Buffer.from(x.key as Buffer).toString())).toEqual(['a', 'b', 'c']);
    expect(Buffer.from(kvs[0]!.value as Buffer).toString()).toBe('1');
    expect([...(kvs[1]!.value as Buffer)]).toEqual([...new Uint8Array(200).fill(7)]);
    expect((kvs[2]!.value as Buffer).length).toBe(20_000);
    expect(kvs[1]!.lease).toBe('-5');
    expect([kvs[0]!.createRevision, kvs[0]!.modRevision, kvs[0]!.version, kvs[0]!.lease]).toEqual(['2', '5', '3', '0']);
    expect([kvs[2]!.createRevision, kvs[2]!.version]).toEqual(['0', '0']);
  });

  it('an empty answer still carries its header; more and count default', () => {
    const out = decode(encodeRangeResponse({ header: { clusterId: 0n, memberId: 1n, revision: 1, raftTerm: 0 }, kvs: [], more: false, count: 0 }));
    expect(out.header).toEqual({ clusterId: '0', memberId: '1', revision: '1', raftTerm: '0' });
    expect(out.kvs).toEqual([]);
    expect([out.more, out.count]).toEqual([false, '0']);
  });

  it('withRangeCodec replaces only the Range serializer of the KV service', () => {
    const kvDef = etcdServices().KV;
    const def = withRangeCodec(kvDef);
    expect(def['Range']!.responseSerialize).not.toBe(kvDef['Range']!.responseSerialize);
    expect(def['Range']!.requestDeserialize).toBe(kvDef['Range']!.requestDeserialize);
    expect(def['Put']).toBe(kvDef['Put']);
  });
});
