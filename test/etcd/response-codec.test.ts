import { describe, expect, it } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { encodeDeleteRangeResponse, encodePutResponse, encodeRangeResponse, encodeTxnResponse, withResponseCodecs } from '../../src/etcd/response-codec.js';
import type { DeleteRangeResponse, KeyValue, RangeResponse, ResponseHeader, ResponseOp, TxnResponse } from '../../src/kv/types.js';
import { SeededRng } from '../../src/raft/rng.js';
import { Writer, writeKeyValue } from '../../src/kv/etcd-backend/proto.js';
import { responseOut } from './wire-reference.js';

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

  it('withResponseCodecs replaces only the Range and Put codecs and lets the Watch one pass Buffers through', () => {
    const defs = etcdServices();
    const out = withResponseCodecs(defs);
    expect(out.KV['Range']!.responseSerialize).not.toBe(defs.KV['Range']!.responseSerialize);
    expect(out.KV['Range']!.requestDeserialize).not.toBe(defs.KV['Range']!.requestDeserialize);
    expect(out.KV['Put']!.responseSerialize).not.toBe(defs.KV['Put']!.responseSerialize);
    expect(out.KV['Put']!.requestDeserialize).not.toBe(defs.KV['Put']!.requestDeserialize);
    for (const m of ['DeleteRange', 'Txn']) {
      expect(out.KV[m]!.requestDeserialize).not.toBe(defs.KV[m]!.requestDeserialize);
      expect(out.KV[m]!.responseSerialize).not.toBe(defs.KV[m]!.responseSerialize);
    }
    expect(out.KV['Compact']).toBe(defs.KV['Compact']);
    const pre = Buffer.from([1, 2, 3]);
    expect(out.Watch['Watch']!.responseSerialize(pre)).toBe(pre);
    const plain = { header: { clusterId: '1', memberId: '2', revision: '3', raftTerm: '4' }, watchId: '5', created: true };
    expect(Buffer.compare(out.Watch['Watch']!.responseSerialize(plain), defs.Watch['Watch']!.responseSerialize(plain))).toBe(0);
    expect(out.Lease).toBe(defs.Lease);
  });
});

describe('encodePutResponse (etcdserverpb.PutResponse by hand)', () => {
  const decodePut = (b: Buffer): Record<string, unknown> => etcdServices().KV['Put']!.responseDeserialize(b) as Record<string, unknown>;
  const header = { clusterId: 2n ** 63n + 5n, memberId: 0xfedc_ba98_7654_3210n, revision: 2 ** 33, raftTerm: 12 };

  it('decodes with the .proto files to the same header and no prev_kv when there is none', () => {
    const mine = encodePutResponse({ header });
    const out = decodePut(mine);
    expect(out.header).toEqual({ clusterId: String(2n ** 63n + 5n), memberId: String(0xfedc_ba98_7654_3210n), revision: String(2 ** 33), raftTerm: '12' });
    expect(out.prevKv ?? null).toBeNull();
    expect(Buffer.compare(mine, etcdServices().KV['Put']!.responseSerialize({ header: out.header }))).toBe(0);
  });

  it('carries prev_kv (a large value, a negative lease) as protobufjs encodes it, byte for byte', () => {
    const prevKv = kv('k', new Uint8Array(70_000).fill(3), { lease: -2n });
    const mine = encodePutResponse({ header, prevKv });
    const out = decodePut(mine);
    const prev = out.prevKv as Record<string, unknown>;
    expect(Buffer.from(prev.key as Buffer).toString()).toBe('k');
    expect((prev.value as Buffer).length).toBe(70_000);
    expect([prev.createRevision, prev.modRevision, prev.version, prev.lease]).toEqual(['2', '5', '3', '-2']);
    const wire = { header: out.header, prevKv: prev };
    expect(Buffer.compare(mine, etcdServices().KV['Put']!.responseSerialize(wire))).toBe(0);
  });
});

describe('encodeDeleteRangeResponse and encodeTxnResponse (by hand)', () => {
  const kvDef = etcdServices().KV;
  /** Both encodings decoded by the .proto files: the hand one and protobufjs's from the objects the handlers built before. */
  const both = (method: 'DeleteRange' | 'Txn', mine: Buffer, r: DeleteRangeResponse | TxnResponse): [unknown, unknown] => {
    const d = kvDef[method]!;
    return [d.responseDeserialize(mine), d.responseDeserialize(d.responseSerialize(responseOut(r as never)))];
  };
  const ids = [0n, 1n, 2n ** 63n + 5n, 2n ** 64n - 1n];
  const nums = [0, 1, 127, 128, 2 ** 40, Number.MAX_SAFE_INTEGER];

  function randomKv(rng: SeededRng): KeyValue {
    const b = (max: number): Uint8Array => Uint8Array.from({ length: rng.nextInt(max) }, () => rng.nextInt(256));
    return {
      key: b(30), value: rng.nextInt(10) === 0 ? b(20_000) : b(300), createRevision: nums[rng.nextInt(nums.length)]!, modRevision: nums[rng.nextInt(nums.length)]!,
      version: nums[rng.nextInt(3)]!, lease: [0n, 5n, -2n, 2n ** 62n][rng.nextInt(4)]!,
    };
  }
  const header = (rng: SeededRng, top: boolean): ResponseHeader => ({
    clusterId: top ? ids[rng.nextInt(ids.length)]! : 0n, memberId: top ? ids[rng.nextInt(ids.length)]! : 0n, revision: nums[rng.nextInt(nums.length)]!, raftTerm: top ? nums[rng.nextInt(3)]! : 0,
  });
  const list = <T>(rng: SeededRng, max: number, f: () => T): T[] => Array.from({ length: rng.nextInt(max + 1) }, f);
  const randomDelete = (rng: SeededRng, top: boolean): DeleteRangeResponse => ({ header: header(rng, top), deleted: nums[rng.nextInt(4)]!, prevKvs: list(rng, 3, () => randomKv(rng)) });

  function randomTxn(rng: SeededRng, top: boolean, depth: number): TxnResponse {
    const op = (): ResponseOp => {
      const kind = rng.nextInt(depth > 0 ? 4 : 3);
      if (kind === 0) return { responseRange: { header: header(rng, false), kvs: list(rng, 3, () => randomKv(rng)), more: rng.nextInt(2) === 1, count: nums[rng.nextInt(4)]! } };
      if (kind === 1) return { responsePut: rng.nextInt(2) === 0 ? { header: header(rng, false) } : { header: header(rng, false), prevKv: randomKv(rng) } };
      if (kind === 2) return { responseDeleteRange: randomDelete(rng, false) };
      return { responseTxn: randomTxn(rng, false, depth - 1) };
    };
    return { header: header(rng, top), succeeded: rng.nextInt(2) === 1, responses: list(rng, 4, op) };
  }

  it('DeleteRange: seeded responses (deleted counts, prev_kvs with large values and negative leases) decode as protobufjs\'s encoding', () => {
    const rng = new SeededRng(49);
    for (let i = 0; i < 200; i++) {
      const r = randomDelete(rng, true);
      const [mine, ref] = both('DeleteRange', encodeDeleteRangeResponse(r), r);
      expect(mine).toEqual(ref);
    }
  });

  it('Txn: seeded responses (every op kind, nested txns with zero headers, 64-bit ids) decode as protobufjs\'s encoding', () => {
    const rng = new SeededRng(59);
    for (let i = 0; i < 300; i++) {
      const r = randomTxn(rng, true, 2);
      const [mine, ref] = both('Txn', encodeTxnResponse(r), r);
      expect(mine).toEqual(ref);
    }
  });

  it('leaves zero-valued scalars out, as etcd\'s encoder does (protobufjs wrote the ones present): a failed empty txn is its header', () => {
    const r: TxnResponse = { header: { clusterId: 0n, memberId: 1n, revision: 2, raftTerm: 0 }, succeeded: false, responses: [] };
    expect([...encodeTxnResponse(r)]).toEqual([0x0a, 4, 0x10, 1, 0x18, 2]);
    expect([...encodeDeleteRangeResponse({ header: r.header, deleted: 0, prevKvs: [] })]).toEqual([0x0a, 4, 0x10, 1, 0x18, 2]);
  });
});

describe('Range and Put responses in two passes (proto-out.ts) equal the growable Writer\'s bytes', () => {
  /** The reference: the same messages through the backend's growable protobuf Writer. */
  const header = (w: Writer, h: ResponseHeader): void => w.message(1, (m) => {
    m.int(1, h.clusterId);
    m.int(2, h.memberId);
    m.int(3, h.revision);
    m.int(4, h.raftTerm);
  });
  const referenceRange = (r: RangeResponse): Buffer => {
    const w = new Writer(16);
    header(w, r.header);
    for (const x of r.kvs) w.message(2, (m) => writeKeyValue(m, x));
    w.bool(3, r.more);
    w.int(4, r.count);
    return Buffer.from(w.finish());
  };
  const referencePut = (r: { header: ResponseHeader; prevKv?: KeyValue }): Buffer => {
    const w = new Writer(16);
    header(w, r.header);
    if (r.prevKv !== undefined) w.message(2, (m) => writeKeyValue(m, r.prevKv!));
    return Buffer.from(w.finish());
  };

  it('400 seeded responses: 0 to 4 kvs, empty and multi-byte-length keys and values, 64-bit ids and revisions, negative leases, more, counts', () => {
    const rng = new SeededRng(11);
    const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
    const ints = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 3, 2 ** 53 - 1];
    const ids = [0n, 1n, 127n, 128n, 2n ** 63n + 5n, 2n ** 64n - 1n];
    const leases = [0n, 1n, -1n, -(2n ** 63n), 2n ** 62n];
    const blob = (): Uint8Array => new Uint8Array(pick([0, 1, 127, 128, 200, 20_000])).fill(rng.nextInt(256));
    const kvOf = (): KeyValue => ({ key: blob(), value: blob(), createRevision: pick(ints), modRevision: pick(ints), version: pick(ints), lease: pick(leases) });
    for (let i = 0; i < 400; i++) {
      const h: ResponseHeader = { clusterId: pick(ids), memberId: pick(ids), revision: pick(ints), raftTerm: pick(ints) };
      const r: RangeResponse = { header: h, kvs: Array.from({ length: rng.nextInt(5) }, kvOf), more: rng.nextInt(2) === 1, count: pick(ints) };
      expect(Buffer.compare(encodeRangeResponse(r), referenceRange(r)), `range ${String(i)}`).toBe(0);
      const put = rng.nextInt(2) === 1 ? { header: h, prevKv: kvOf() } : { header: h };
      expect(Buffer.compare(encodePutResponse(put), referencePut(put)), `put ${String(i)}`).toBe(0);
    }
  });
});
