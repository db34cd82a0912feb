import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { GrpcMetrics } from '../../src/etcd/grpc-metrics.js';
import { unary, type RpcContext } from '../../src/etcd/rpc.js';

// A unary call's cancel signal costs an AbortController and a 'cancelled' listener: only handlers
// that take the call's options, for requests that wait on something cancellable, get one.
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

test.each([
  { name: 'a handler that takes no options', fn: () => 1, waits: () => true, wantSignal: false },
  { name: 'a handler that takes options, for a request that waits', fn: (_r: unknown, o: { signal?: AbortSignal }) => (o.signal === undefined ? 0 : 1), waits: () => true, wantSignal: true },
  { name: 'a handler that takes options, for a request that waits for nothing cancellable', fn: (_r: unknown, o: { signal?: AbortSignal }) => (o.signal === undefined ? 0 : 1), waits: () => false, wantSignal: false },
])('$name: cancel signal $wantSignal, no listener left once answered', async ({ fn, waits, wantSignal }) => {
  const handler = unary(ctx, 'etcdserverpb.Test', 'Call', fn, waits);
  const { call, added, left } = fakeCall({});
  await answer(handler, call);
  expect(added()).toBe(wantSignal ? 1 : 0);
  expect(left()).toBe(0);
});
