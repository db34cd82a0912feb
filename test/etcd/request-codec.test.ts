import { describe, expect, it } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { decodeDeleteRangeRequest, decodePutRequest, decodeRangeRequest, decodeTxnRequest, MAX_MESSAGE_DEPTH } from '../../src/etcd/request-codec.js';
import { ProtoError } from '../../src/kv/etcd-backend/proto.js';
import { SeededRng } from '../../src/raft/rng.js';
import { deleteIn, putIn, rangeIn, txnIn } from './wire-reference.js';

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

describe('decodeDeleteRangeRequest (etcdserverpb.DeleteRangeRequest by hand)', () => {
  const del = etcdServices().KV['DeleteRange']!;
  const viaDelete = (buf: Buffer): ReturnType<typeof deleteIn> => deleteIn(del.requestDeserialize(buf) as Record<string, unknown>);

  it('gives the handler the same request as protobufjs + deleteIn for seeded requests', () => {
    const rng = new SeededRng(29);
    for (let i = 0; i < 300; i++) {
      const bytes = (max: number): Buffer => Buffer.from(Array.from({ length: rng.nextInt(max) }, () => rng.nextInt(256)));
      const w = { key: bytes(40), rangeEnd: rng.nextInt(3) === 0 ? undefined : bytes(300), prevKv: rng.nextInt(2) === 1 };
      const buf = del.requestSerialize(w);
      expect(decodeDeleteRangeRequest(buf)).toEqual(viaDelete(buf));
    }
  });

  it('an empty message is the defaults; unknown fields are skipped; a repeated field keeps the last', () => {
    expect(decodeDeleteRangeRequest(Buffer.alloc(0))).toEqual(viaDelete(Buffer.alloc(0)));
    // field 9 (varint), key "a", prev_kv, field 10 (bytes), key "b"
    const buf = Buffer.from([0x48, 5, 0x0a, 1, 0x61, 0x18, 1, 0x52, 1, 0x7a, 0x0a, 1, 0x62]);
    const r = decodeDeleteRangeRequest(buf);
    expect([Buffer.from(r.key).toString(), r.prevKv]).toEqual(['b', true]);
    expect(viaDelete(buf)).toEqual(r);
  });

  it('refuses malformed bytes with ERR_PROTO_DECODE: truncated key, truncated varint, a known field with the wrong wire type', () => {
    for (const bad of [[0x0a, 5, 0x61], [0x18, 0x80], [0x08, 1], [0x1a, 1, 0], [0x12]]) {
      expect(() => decodeDeleteRangeRequest(Buffer.from(bad))).toThrow(ProtoError);
    }
  });
});

describe('decodeTxnRequest (etcdserverpb.TxnRequest by hand)', () => {
  const txn = etcdServices().KV['Txn']!;
  const viaTxn = (buf: Buffer): ReturnType<typeof txnIn> => txnIn(txn.requestDeserialize(buf) as Record<string, unknown>);
  const int64s = ['0', '1', '127', '128', '-1', '9007199254740991', '9223372036854775807', '-9223372036854775808'];

  /** A seeded random txn as a client would send it (every compare target, every op kind, nested txns). */
  function randomTxn(rng: SeededRng, depth: number): Record<string, unknown> {
    const bytes = (max: number): Buffer => Buffer.from(Array.from({ length: rng.nextInt(max) }, () => rng.nextInt(256)));
    const pick = (): string => int64s[rng.nextInt(int64s.length)]!;
    const maybe = (v: () => unknown): unknown => (rng.nextInt(3) === 0 ? undefined : v());
    const compare = (): Record<string, unknown> => {
      const c: Record<string, unknown> = {
        result: maybe(() => [0, 1, 2, 3, 9, -1][rng.nextInt(6)]), target: maybe(() => [0, 1, 2, 3, 4, 11][rng.nextInt(6)]), key: bytes(20), rangeEnd: maybe(() => bytes(20)),
      };
      const member = rng.nextInt(6);
      if (member === 0) c.version = pick();
      else if (member === 1) c.createRevision = pick();
      else if (member === 2) c.modRevision = pick();
      else if (member === 3) c.value = bytes(100);
      else if (member === 4) c.lease = pick();
      return c;
    };
    const op = (): Record<string, unknown> => {
      const kind = rng.nextInt(depth > 0 ? 5 : 4);
      if (kind === 0) return { requestRange: { key: bytes(20), rangeEnd: maybe(() => bytes(20)), limit: maybe(pick), revision: maybe(pick), serializable: rng.nextInt(2) === 1, countOnly: rng.nextInt(2) === 1 } };
      if (kind === 1) return { requestPut: { key: bytes(20), value: bytes(rng.nextInt(8) === 0 ? 5000 : 200), lease: maybe(pick), prevKv: rng.nextInt(2) === 1, ignoreLease: rng.nextInt(2) === 1 } };
      if (kind === 2) return { requestDeleteRange: { key: bytes(20), rangeEnd: maybe(() => bytes(20)), prevKv: rng.nextInt(2) === 1 } };
      if (kind === 3) return {};
      return { requestTxn: randomTxn(rng, depth - 1) };
    };
    const list = <T>(max: number, f: () => T): T[] => Array.from({ length: rng.nextInt(max + 1) }, f);
    return { compare: list(3, compare), success: list(4, op), failure: list(3, op) };
  }

  it('gives the handler the same txn as protobufjs + txnIn for seeded txns (compare targets, 64-bit integers, every op kind, empty ops, nested txns)', () => {
    const rng = new SeededRng(39);
    for (let i = 0; i < 400; i++) {
      const w = randomTxn(rng, 2);
      const buf = txn.requestSerialize(w);
      expect(decodeTxnRequest(buf)).toEqual(viaTxn(buf));
    }
  });

  it('the Kubernetes apiserver\'s update (mod revision equal → put, else get) and an empty txn decode as with protobufjs', () => {
    const key = Buffer.from('/registry/pods/default/p1');
    const update = txn.requestSerialize({
      compare: [{ result: 0, target: 2, key, modRevision: '41' }], success: [{ requestPut: { key, value: Buffer.from('spec'), lease: '0' } }], failure: [{ requestRange: { key } }],
    });
    const r = decodeTxnRequest(update);
    expect(r.compare).toEqual([{ result: 0, target: 2, key, rangeEnd: Buffer.alloc(0), modRevision: 41 }]);
    expect(r).toEqual(viaTxn(update));
    expect(decodeTxnRequest(Buffer.alloc(0))).toEqual({ compare: [], success: [], failure: [] });
    expect(viaTxn(Buffer.alloc(0))).toEqual({ compare: [], success: [], failure: [] });
  });

  it('of a oneof, keeps the member last on the wire (as etcd\'s decoder does), in a compare and in an op', () => {
    // Compare 1: version 3, value "x", mod_revision 5 → mod_revision; compare 2: mod_revision 5, version 7 → version
    const none = { result: 0, target: 0, key: Buffer.alloc(0), rangeEnd: Buffer.alloc(0) };
    expect(decodeTxnRequest(Buffer.from([0x0a, 7, 0x20, 3, 0x3a, 1, 0x78, 0x30, 5, 0x0a, 4, 0x30, 5, 0x20, 7])).compare).toEqual([
      { ...none, modRevision: 5 },
      { ...none, version: 7 },
    ]);
    // RequestOp: request_put {key "a"}, then request_range {key "b"} → the range
    const op = decodeTxnRequest(Buffer.from([0x12, 10, 0x12, 3, 0x0a, 1, 0x61, 0x0a, 3, 0x0a, 1, 0x62])).success;
    expect(op).toHaveLength(1);
    expect(Buffer.from((op[0] as { requestRange: { key: Uint8Array } }).requestRange.key).toString()).toBe('b');
  });

  it('refuses malformed bytes with ERR_PROTO_DECODE, nested ones included: truncated, wrong wire types, a broken op inside a nested txn', () => {
    const bads = [
      [0x0a, 5, 0x08], // compare runs past the end
      [0x08, 1], // compare as a varint
      [0x0a, 2, 0x1a, 0x05], // compare's key runs past the end
      [0x0a, 2, 0x18, 0x02], // compare's key (field 3) as a varint
      [0x12, 2, 0x0a, 0x01], // a success op's request_range runs past the end
      [0x12, 2, 0x08, 0x01], // request_range with wire type 0
      [0x12, 6, 0x22, 4, 0x12, 2, 0x12, 9], // a nested txn's op runs past the end
      [0x1a, 3, 0x12, 1, 0x08], // failure op's put has field 1 as a varint
    ];
    for (const bad of bads) expect(() => decodeTxnRequest(Buffer.from(bad)), JSON.stringify(bad)).toThrow(ProtoError);
  });
});

describe('decodeTxnRequest nesting bound', () => {
  const txn = etcdServices().KV['Txn']!;
  const varint = (v: number): number[] => (v < 0x80 ? [v] : [(v & 0x7f) | 0x80, ...varint(Math.floor(v / 128))]);
  const field = (n: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([(n << 3) | 2, ...varint(body.length)]), body]);
  /** A txn whose success runs a txn `levels` deep, the innermost holding `leaf` (a RequestOp's bytes). */
  const nested = (levels: number, leaf: Buffer): Buffer => {
    let t = field(2, leaf);
    for (let i = 0; i < levels; i++) t = field(2, field(4, t));
    return t;
  };
  const put = field(2, field(1, Buffer.from('k')));
  const empty = Buffer.alloc(0);
  const accepts = (decode: (b: Buffer) => unknown, b: Buffer): boolean => {
    try {
      decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it(`refuses nesting past ${String(MAX_MESSAGE_DEPTH)} messages exactly where protobufjs did (a put or an empty op innermost), with ERR_PROTO_DECODE`, () => {
    for (const leaf of [put, empty]) {
      let deepest = 0;
      while (accepts((b) => txn.requestDeserialize(b), nested(deepest + 1, leaf))) deepest++;
      expect(deepest).toBeGreaterThan(40);
      expect(accepts(decodeTxnRequest, nested(deepest, leaf))).toBe(true);
      expect(decodeTxnRequest(nested(deepest, leaf))).toEqual(txnIn(txn.requestDeserialize(nested(deepest, leaf)) as Record<string, unknown>));
      expect(() => decodeTxnRequest(nested(deepest + 1, leaf))).toThrow(ProtoError);
      expect(() => decodeTxnRequest(nested(5000, leaf))).toThrow(/nested deeper than 100 messages/);
    }
  });
});

describe('unknown fields as etcd\'s decoder takes them', () => {
  const kv = etcdServices().KV;
  // field 20 as a group (start 0xa3 0x01) holding a varint field 1, a nested group 21 (0xab 0x01 ... 0xac 0x01) and bytes, then end (0xa4 0x01)
  const group = [0xa3, 0x01, 0x08, 0x05, 0xab, 0x01, 0x10, 0x01, 0xac, 0x01, 0x1a, 0x01, 0x7a, 0xa4, 0x01];

  it('skips an unknown group (nested groups included), as protobufjs and etcd do, in every hand-decoded request', () => {
    const key = [0x0a, 0x01, 0x61];
    const cases: [(b: Buffer) => unknown, (b: Buffer) => unknown][] = [
      [decodeRangeRequest, (b) => rangeIn(kv['Range']!.requestDeserialize(b) as Record<string, unknown>)],
      [decodePutRequest, (b) => putIn(kv['Put']!.requestDeserialize(b) as Record<string, unknown>)],
      [decodeDeleteRangeRequest, (b) => deleteIn(kv['DeleteRange']!.requestDeserialize(b) as Record<string, unknown>)],
    ];
    for (const [mine, ref] of cases) {
      const buf = Buffer.from([...group, ...key, ...group]);
      expect(mine(buf)).toEqual(ref(buf));
    }
    // a txn with the group at the top, inside a compare and inside an op
    const txn = Buffer.from([...group, 0x0a, 3 + group.length, ...group, 0x1a, 1, 0x61, 0x12, 5 + group.length, ...group, 0x12, 3, ...key]);
    expect(decodeTxnRequest(txn)).toEqual(txnIn(kv['Txn']!.requestDeserialize(txn) as Record<string, unknown>));
  });

  it('refuses field number 0 (etcd: "illegal tag 0"), a stray end group, and an unterminated group', () => {
    for (const decode of [decodeRangeRequest, decodePutRequest, decodeDeleteRangeRequest, decodeTxnRequest]) {
      expect(() => decode(Buffer.from([0x00, 0x01]))).toThrow(ProtoError);
      expect(() => decode(Buffer.from([0xa4, 0x01]))).toThrow(ProtoError);
      expect(() => decode(Buffer.from([0xa3, 0x01, 0x08, 0x05]))).toThrow(ProtoError);
    }
  });
});
