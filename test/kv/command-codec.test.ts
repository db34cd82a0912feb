/**
 * The binary KV command and stored KV record layouts: seeded round trips of every command kind
 * (edge values: empty and 0-length keys, strings with astral unicode, max safe integers,
 * negative and 64-bit lease ids, nested txns), the msgpack bytes earlier builds wrote decoding
 * to the same values, and hostile bytes refused with the typed error and nothing else.
 *
 * Seeded: `FUZZ_SEED=<n>` replays a failure.
 */
import { encodeCommandV1, encodeKvV1 } from '../codec/v1-encoder.js';
import { describe, expect, test } from 'vitest';
import { CodecError } from '../../src/codec/errors.js';
import { BINARY_TAG, MAX_TXN_DEPTH } from '../../src/kv/command-binary.js';
import { BadCommandError, decodeCommand, encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { decodeKv, encodeKv } from '../../src/kv/record.js';
import type { Bytes, Compare, KeyValue, RequestOp, TxnRequest } from '../../src/kv/types.js';
import { SeededRng } from '../../src/raft/rng.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 4242);
const MAX = Number.MAX_SAFE_INTEGER;

const pick = <T,>(rng: SeededRng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
const STRINGS = ['', 'a', 'key/with/slashes', 'ünïcödé', '𝄞 astral 🎉', 'x'.repeat(300)];

function bytes(rng: SeededRng): Uint8Array {
  const b = new Uint8Array(pick(rng, [0, 1, 3, 40, 300]));
  for (let i = 0; i < b.length; i++) b[i] = rng.nextInt(256);
  return b;
}
const someBytes = (rng: SeededRng): Bytes => (rng.nextInt(3) === 0 ? pick(rng, STRINGS) : bytes(rng));
const num = (rng: SeededRng): number => pick(rng, [0, 1, -1, 7, MAX, -MAX, 2 ** 40 + 3, 0.5]);
const lease = (rng: SeededRng): bigint => pick(rng, [0n, 1n, 7587869223094562049n, -1n, -(2n ** 63n), 2n ** 63n - 1n]);

/** Sets each optional field with probability 1/2 (never to `undefined`). */
function opts<T extends object>(rng: SeededRng, base: T, extra: Record<string, () => unknown>): T {
  const o = { ...base } as Record<string, unknown>;
  for (const [k, f] of Object.entries(extra)) if (rng.nextInt(2) === 0) o[k] = f();
  return o as T;
}
const bool = (rng: SeededRng) => () => rng.nextInt(2) === 0;

function put(rng: SeededRng) {
  return opts(rng, { key: someBytes(rng) }, { value: () => someBytes(rng), lease: () => lease(rng), prevKv: bool(rng), ignoreValue: bool(rng), ignoreLease: bool(rng) });
}
function del(rng: SeededRng) {
  return opts(rng, { key: someBytes(rng) }, { rangeEnd: () => someBytes(rng), prevKv: bool(rng) });
}
function range(rng: SeededRng) {
  const n = () => num(rng);
  return opts(rng, { key: someBytes(rng) }, {
    rangeEnd: () => someBytes(rng), limit: n, revision: n, sortOrder: () => rng.nextInt(3), sortTarget: () => rng.nextInt(5),
    serializable: bool(rng), keysOnly: bool(rng), countOnly: bool(rng), minModRevision: n, maxModRevision: n, minCreateRevision: n, maxCreateRevision: n,
  });
}
function compare(rng: SeededRng): Compare {
  return opts(rng, { result: rng.nextInt(3), target: rng.nextInt(5), key: someBytes(rng) } as Compare, {
    rangeEnd: () => someBytes(rng), version: () => num(rng), createRevision: () => num(rng), modRevision: () => num(rng), value: () => someBytes(rng), lease: () => lease(rng),
  });
}
function txn(rng: SeededRng, depth: number): TxnRequest {
  const ops = (): RequestOp[] =>
    Array.from({ length: rng.nextInt(4) }, (): RequestOp => {
      switch (rng.nextInt(depth < 3 ? 4 : 3)) {
        case 0:
          return { requestRange: range(rng) };
        case 1:
          return { requestPut: put(rng) };
        case 2:
          return { requestDeleteRange: del(rng) };
        default:
          return { requestTxn: txn(rng, depth + 1) };
      }
    });
  return opts(rng, {}, { compare: () => Array.from({ length: rng.nextInt(3) }, () => compare(rng)), success: ops, failure: ops });
}

/** A random command of every kind in turn. */
function randomCommand(rng: SeededRng, i: number): KvCommand {
  switch (i % 14) {
    case 0:
      return { op: 'put', req: put(rng) };
    case 1:
      return { op: 'deleteRange', req: del(rng) };
    case 2:
      return { op: 'txn', req: txn(rng, 0) };
    case 3:
      return { op: 'compact', req: opts(rng, { revision: num(rng) }, { physical: bool(rng) }) };
    case 4:
      return { op: 'leaseGrant', id: lease(rng), ttl: num(rng) };
    case 5:
      return { op: 'leaseRevoke', id: lease(rng) };
    case 6:
      return { op: 'leaseKeepAlive', id: lease(rng) };
    case 7:
      return { op: 'leaseCheckpoint', checkpoints: Array.from({ length: rng.nextInt(4) }, () => ({ id: lease(rng), remainingTtl: num(rng) })) };
    case 8:
      return { op: 'alarm', action: pick(rng, ['activate', 'deactivate'] as const), memberId: lease(rng), alarm: pick(rng, [0, 1, 2] as const) };
    case 9:
      return { op: 'memberAttrs', memberId: lease(rng), name: pick(rng, STRINGS), clientUrls: Array.from({ length: rng.nextInt(3) }, () => pick(rng, STRINGS)) };
    case 10:
      return {
        op: 'memberRequest',
        reqId: pick(rng, STRINGS),
        change: opts(rng, { action: pick(rng, ['add', 'remove', 'promote', 'update'] as const), id: num(rng) }, { address: () => pick(rng, STRINGS), learner: bool(rng) }),
      };
    case 11:
      return { op: 'memberResult', reqId: pick(rng, STRINGS), code: pick(rng, STRINGS), message: pick(rng, STRINGS) };
    case 12:
      return { op: 'hashCheck', checkId: pick(rng, STRINGS), memberId: lease(rng), revision: num(rng), compactRevision: pick(rng, [-1, 0, 7]), hash: pick(rng, [0, 1, 0xffffffff]), deadline: num(rng) };
    default:
      return { op: 'hashVerdict', checkId: pick(rng, STRINGS), memberId: lease(rng), verdict: pick(rng, ['match', 'mismatch', 'skipped'] as const), hash: pick(rng, [0, 0x80000000]), compactRevision: num(rng) };
  }
}

function randomKv(rng: SeededRng): KeyValue {
  return { key: bytes(rng), createRevision: pick(rng, [0, 1, MAX]), modRevision: pick(rng, [0, 5, MAX]), version: pick(rng, [0, 1, MAX]), lease: lease(rng), value: bytes(rng) };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('KV commands', () => {
  test('1200 seeded commands of every kind round-trip, and their msgpack (version 1) bytes decode to the same command', () => {
    const rng = new SeededRng(SEED);
    for (let i = 0; i < 1200; i++) {
      const c = randomCommand(rng, i);
      const b = encodeCommand(c);
      expect(b[0]).toBe(BINARY_TAG);
      expect(decodeCommand(b), `command ${i}`).toStrictEqual(c);
      expect(decodeCommand(encodeCommandV1(c)), `version 1 of command ${i}`).toStrictEqual(c);
    }
  });

  test('decoded byte fields are views of a private copy, never of the input', () => {
    const b = encodeCommand({ op: 'put', req: { key: new Uint8Array([1, 2]), value: new Uint8Array([3]) } }).slice();
    const c = decodeCommand(b);
    b.fill(0, 2);
    expect(c).toStrictEqual({ op: 'put', req: { key: new Uint8Array([1, 2]), value: new Uint8Array([3]) } });
  });

  test.each([
    ['a NaN ttl', { op: 'leaseGrant', id: 1n, ttl: NaN }],
    ['an Infinity revision', { op: 'compact', req: { revision: Infinity } }],
    ['a numeric key', { op: 'put', req: { key: 5 } }],
    ['a string lease', { op: 'put', req: { key: 'k', lease: '5' } }],
    ['an unknown op', { op: 'nope' }],
    ['an unknown alarm action', { op: 'alarm', action: 'raise', memberId: 1n, alarm: 1 }],
    ['an empty txn operation', { op: 'txn', req: { success: [{}] } }],
  ])('%s is refused by the encoder with BadCommandError (never proposed)', (_name, c) => {
    const err = thrown(() => encodeCommand(c as unknown as KvCommand));
    expect(err).toBeInstanceOf(BadCommandError);
  });

  test(`txns nested deeper than ${MAX_TXN_DEPTH} are refused by both ends`, () => {
    let t: TxnRequest = {};
    for (let i = 0; i <= MAX_TXN_DEPTH; i++) t = { success: [{ requestTxn: t }] };
    expect(thrown(() => encodeCommand({ op: 'txn', req: t }))).toBeInstanceOf(BadCommandError);
    // Hand-built: a txn whose single success op is a txn, `levels` times, around an empty txn.
    const nested = (levels: number) => Uint8Array.from([BINARY_TAG, 2, ...Array.from({ length: levels }, () => [2, 1, 0, 0, 0, 3]).flat(), 0]);
    expect(decodeCommand(nested(MAX_TXN_DEPTH)).op).toBe('txn');
    const err = thrown(() => decodeCommand(nested(MAX_TXN_DEPTH + 1)));
    expect(err).toBeInstanceOf(BadCommandError);
    expect((err as Error).message).toMatch(/nested txns/);
  });

  test.each([
    ['empty', []],
    ['an unknown format byte', [7, 1, 2]],
    ['the tag alone', [BINARY_TAG]],
    ['an unknown op', [BINARY_TAG, 200]],
    ['a put with unknown presence bits', [BINARY_TAG, 0, 0xff, 0xff]],
    ['a key of 2^32 - 1 bytes', [BINARY_TAG, 0, 1, 0, 1, 255, 255, 255, 255]],
    ['a key form other than bytes or string', [BINARY_TAG, 0, 1, 0, 9, 0, 0, 0, 0]],
    ['invalid UTF-8', [BINARY_TAG, 0, 1, 0, 2, 2, 0, 0, 0, 0xc3, 0x28]],
    ['a NaN ttl', [BINARY_TAG, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f]],
    ['a checkpoint count of 2^32 - 1', [BINARY_TAG, 7, 255, 255, 255, 255]],
    ['trailing bytes', [BINARY_TAG, 5, 1, 0, 0, 0, 0, 0, 0, 0, 9]],
    ['msgpack that is not a command', [1, 0xc0]],
    ['corrupt msgpack', [1, 0xdc, 0xff, 0xff]],
  ])('%s is refused with BadCommandError', (_name, b) => {
    expect(thrown(() => decodeCommand(Uint8Array.from(b)))).toBeInstanceOf(BadCommandError);
  });

  test('mutated commands (both formats) only ever throw BadCommandError or decode to a re-encodable command', () => {
    const rng = new SeededRng(SEED + 1);
    for (let i = 0; i < 3000; i++) {
      const c = randomCommand(rng, i);
      const b = (i % 3 === 0 ? encodeCommandV1(c) : encodeCommand(c)).slice();
      for (let flips = 1 + rng.nextInt(3); flips > 0; flips--) b[1 + rng.nextInt(b.length - 1)] = rng.nextInt(4) === 0 ? 0xff : rng.nextInt(256);
      const cut = rng.nextInt(4) === 0 ? b.subarray(0, rng.nextInt(b.length)) : b;
      let got: KvCommand;
      try {
        got = decodeCommand(cut);
      } catch (err) {
        if (!(err instanceof BadCommandError)) throw new Error(`case ${i} (seed ${SEED + 1}) threw ${String(err)}`, { cause: err });
        continue;
      }
      // Version 1 decoding never validated the fields (as before); binary decoding does.
      if (cut[0] === BINARY_TAG) expect(decodeCommand(encodeCommand(got))).toStrictEqual(got);
    }
  });
});

describe('stored KV records', () => {
  test('500 seeded records round-trip, and their msgpack bytes decode to the same record', () => {
    const rng = new SeededRng(SEED + 2);
    for (let i = 0; i < 500; i++) {
      const kv = randomKv(rng);
      const b = encodeKv(kv);
      expect(b[0]).toBe(BINARY_TAG);
      expect(decodeKv(b), `record ${i}`).toStrictEqual(kv);
      expect(decodeKv(encodeKvV1(kv)), `version 1 of record ${i}`).toStrictEqual(kv);
    }
  });

  test('truncated, oversized and mutated records only ever throw CodecError or decode', () => {
    const rng = new SeededRng(SEED + 3);
    const kv = { key: new Uint8Array([1, 2, 3]), createRevision: 5, modRevision: 9, version: 2, lease: 7n, value: new Uint8Array(20) };
    const b = encodeKv(kv).slice();
    for (let n = 0; n < 1 + 32 + 4 + 3; n++) expect(thrown(() => decodeKv(b.subarray(0, n)))).toBeInstanceOf(CodecError);
    const huge = b.slice();
    huge.set([255, 255, 255, 255], 33);
    expect(thrown(() => decodeKv(huge))).toBeInstanceOf(CodecError);
    const big = b.slice();
    big.set([0, 0, 0, 0, 0, 0, 0x20, 0], 1);
    expect((thrown(() => decodeKv(big)) as Error).message).toMatch(/createRevision.*2\^53/);
    for (let i = 0; i < 3000; i++) {
      const src = i % 2 === 0 ? encodeKv(randomKv(rng)).slice() : encodeKvV1(randomKv(rng));
      for (let flips = 1 + rng.nextInt(3); flips > 0; flips--) src[rng.nextInt(src.length)] = rng.nextInt(256);
      try {
        decodeKv(rng.nextInt(4) === 0 ? src.subarray(0, rng.nextInt(src.length)) : src);
      } catch (err) {
        if (!(err instanceof CodecError)) throw new Error(`case ${i} threw ${String(err)}`, { cause: err });
      }
    }
  });
});
