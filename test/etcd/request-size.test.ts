import { Metadata, status as Status, type ServerUnaryCall, type handleUnaryCall } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { GrpcMetrics } from '../../src/etcd/grpc-metrics.js';
import { kvService, SIZE_CHECKED, type KvApi } from '../../src/etcd/kv.js';
import type { RpcContext } from '../../src/etcd/rpc.js';

// The KV handlers that check a request's size read it from what the server recorded for their
// methods (SIZE_CHECKED). A request whose size was not recorded must be refused (fail closed),
// not read as 0 bytes and let through however large it is.

const header = { revision: 1 };
const kv: KvApi = {
  putRequest: () => Promise.resolve({ header } as never),
  rangeRequest: () => Promise.resolve({ header, kvs: [], more: false, count: 0 } as never),
  deleteRange: () => Promise.resolve({ header, deleted: 0, prevKvs: [] } as never),
  txn: () => Promise.resolve({ header, succeeded: true, responses: [] } as never),
  compact: () => Promise.resolve({ header } as never),
};

/** A KV service whose server recorded sizes for `recorded` methods only, each request `bytes` long. */
function service(recorded: ReadonlySet<string>, bytes: number): Record<string, handleUnaryCall<object, unknown>> {
  const method = new WeakMap<object, string>();
  const ctx = {
    grpc: new GrpcMetrics(), leader: () => 1, maxRequestBytes: 100, maxTxnOps: 128,
    header: () => ({ clusterId: '0', memberId: '1', revision: '1', raftTerm: '1' }),
    requestBytes: (req: object) => (recorded.has(method.get(req) ?? '') ? bytes : undefined),
  } as unknown as RpcContext;
  const impl = kvService(ctx, kv) as Record<string, handleUnaryCall<object, unknown>>;
  // Tag each request with its method, as the server's deserializer records sizes per method.
  return Object.fromEntries(Object.entries(impl).map(([name, h]) => [name, ((call, callback) => {
    method.set(call.request, name);
    h(call, callback);
  }) satisfies handleUnaryCall<object, unknown>]));
}

/** The gRPC status a handler answers `request` with (OK on success). */
function answer(handler: handleUnaryCall<object, unknown>, request: object): Promise<Status> {
  const call = { request, metadata: new Metadata(), cancelled: false, getDeadline: () => Infinity, once: () => call, off: () => call };
  return new Promise((resolve) => {
    handler(call as unknown as ServerUnaryCall<object, unknown>, (err) => resolve(err === null ? Status.OK : (err.code ?? Status.UNKNOWN)));
  });
}

const requests: Record<string, () => object> = {
  Range: () => ({ key: new Uint8Array([1]), rangeEnd: new Uint8Array(0), serializable: true }),
  Put: () => ({ key: new Uint8Array([1]), value: new Uint8Array(0) }),
  DeleteRange: () => ({ key: new Uint8Array([1]), rangeEnd: new Uint8Array(0), prevKv: false }),
  Txn: () => ({ compare: [], success: [], failure: [] }),
  Compact: () => ({ revision: '1' }),
};

test('every KV method is covered here', () => {
  expect(Object.keys(service(SIZE_CHECKED, 1)).sort()).toEqual(Object.keys(requests).sort());
});

test('with no size recorded, exactly the SIZE_CHECKED methods refuse their requests (INTERNAL); the others answer', async () => {
  const handlers = service(new Set(), 1);
  const refused: string[] = [];
  for (const [name, request] of Object.entries(requests)) {
    const code = await answer(handlers[name]!, request());
    if (code !== Status.OK) {
      expect(code).toBe(Status.INTERNAL);
      refused.push(name);
    }
  }
  expect(refused.sort()).toEqual([...SIZE_CHECKED].sort());
});

test.each([...SIZE_CHECKED])('%s: a recorded size within the limit passes, one over it is "request is too large"', async (name) => {
  expect(await answer(service(SIZE_CHECKED, 100)[name]!, requests[name]!())).toBe(Status.OK);
  expect(await answer(service(SIZE_CHECKED, 101)[name]!, requests[name]!())).toBe(Status.INVALID_ARGUMENT);
});
