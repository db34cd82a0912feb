import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { GrpcMetrics } from '../../src/etcd/grpc-metrics.js';
import { kvService, type KvApi } from '../../src/etcd/kv.js';
import { unary, unaryNoCancel, type RpcContext } from '../../src/etcd/rpc.js';

// A unary call's cancel signal costs an AbortController and a 'cancelled' listener: only handlers
// registered with `unary` (not `unaryNoCancel`), for requests that wait on something cancellable,
// get one, whatever the handler's parameter list looks like (a default or rest parameter hides
// its options from `fn.length`).
const ctx = { grpc: new GrpcMetrics(), leader: () => 1 } as unknown as RpcContext;

/** A unary call as grpc-js hands it over, counting the 'cancelled' listeners added and left. */
function fakeCall(request: unknown): { call: ServerUnaryCall<unknown, unknown>; added: () => number; left: () => number } {
  let added = 0;
  let left = 0;
  const call = {
    request, metadata: new Metadata(), cancelled: false, getDeadline: () => Infinity,
    once(event: string) {
      if (event === 'cancelled') {
        added++;
        left++;
      }
      return call;
    },
    off(event: string) {
      if (event === 'cancelled') left--;
      return call;
    },
  };
  return { call: call as unknown as ServerUnaryCall<unknown, unknown>, added: () => added, left: () => left };
}

const answer = (handler: ReturnType<typeof unary>, call: ServerUnaryCall<unknown, unknown>): Promise<unknown> =>
  new Promise((resolve, reject) => {
    handler(call, (err, res) => (err === null ? resolve(res) : reject(new Error(String(err.details)))));
  });

type Options = { signal?: AbortSignal };
const signalled = (o: Options | undefined): number => (o?.signal === undefined ? 0 : 1);

/** A handler whose options parameter has a default (so `fn.length` is 1). */
function withDefault(_r: unknown, o: Options = {}): number {
  return signalled(o);
}

test.each([
  { name: 'unaryNoCancel, a handler that takes no options', register: unaryNoCancel, fn: () => 0, waits: undefined, wantSignal: false },
  { name: 'unaryNoCancel, a handler that takes options', register: unaryNoCancel, fn: (_r: unknown, o: Options) => signalled(o), waits: undefined, wantSignal: false },
  { name: 'unary, a handler that takes options, for a request that waits', register: unary, fn: (_r: unknown, o: Options) => signalled(o), waits: () => true, wantSignal: true },
  { name: 'unary, a handler whose options parameter has a default', register: unary, fn: withDefault, waits: () => true, wantSignal: true },
  { name: 'unary, a handler that takes rest arguments', register: unary, fn: (...args: unknown[]) => signalled(args[1] as Options), waits: () => true, wantSignal: true },
  { name: 'unary, a handler that takes options, for a request that waits for nothing cancellable', register: unary, fn: (_r: unknown, o: Options) => signalled(o), waits: () => false, wantSignal: false },
])('$name: cancel signal $wantSignal, no listener left once answered', async ({ register, fn, waits, wantSignal }) => {
  const handler = register(ctx, 'etcdserverpb.Test', 'Call', fn, waits);
  const { call, added, left } = fakeCall({});
  expect(await answer(handler, call)).toBe(wantSignal ? 1 : 0);
  expect(added()).toBe(wantSignal ? 1 : 0);
  expect(left()).toBe(0);
});

test('a handler\'s result that is not a promise is answered in the call\'s own turn; a promise once it settles', async () => {
  const now = unary(ctx, 'etcdserverpb.Test', 'Now', () => 7);
  const { call } = fakeCall({});
  let got: unknown;
  now(call, (err, res) => {
    got = err ?? res;
  });
  expect(got).toBe(7); // before any microtask ran
  const later = unary(ctx, 'etcdserverpb.Test', 'Later', () => Promise.resolve(8));
  let got2: unknown;
  later(fakeCall({}).call, (err, res) => {
    got2 = err ?? res;
  });
  expect(got2).toBeUndefined();
  await Promise.resolve();
  await Promise.resolve();
  expect(got2).toBe(8);
});

test('the KV service answers a Range through the KV\'s rangeNow when it answers, else through rangeRequest', async () => {
  const served: string[] = [];
  const kv = {
    rangeNow: (req: { serializable?: boolean; key: Uint8Array }) => {
      if (req.serializable !== true || req.key[0] === 0x6d) return undefined; // linearizable, or "m": not in memory
      served.push('now');
      return { header: { clusterId: 0n, memberId: 0n, revision: 1, raftTerm: 0 }, kvs: [], more: false, count: 0 };
    },
    rangeRequest: () => {
      served.push('request');
      return Promise.resolve({ header: { clusterId: 0n, memberId: 0n, revision: 1, raftTerm: 0 }, kvs: [], more: false, count: 0 });
    },
  } as unknown as KvApi;
  const handler = kvService({ ...ctx, maxRequestBytes: 1024, maxTxnOps: 8, requestBytes: () => 0 }, kv)['Range'] as ReturnType<typeof unary>;
  const base = { rangeEnd: new Uint8Array(0) };
  for (const req of [{ ...base, key: Buffer.from('k'), serializable: true }, { ...base, key: Buffer.from('m'), serializable: true }, { ...base, key: Buffer.from('k'), serializable: false }]) {
    await answer(handler, fakeCall(req).call);
  }
  expect(served).toEqual(['now', 'request', 'request']);
});
