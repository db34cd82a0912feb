import { Metadata, status, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { expect, test, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { GrpcMetrics } from '../../src/etcd/grpc-metrics.js';
import { callOptions, unary, type RpcContext } from '../../src/etcd/rpc.js';
import { rawClient, useLoneFollower, until } from './helpers.js';

// A call's gRPC deadline bounds the request inside the server (etcd's server runs each request
// under the call's context), and `hasleader` makes it fail instead of waiting for a leader.
// The follower's peers are stopped and its replica's own request timeout is 10 minutes: a
// request that ends sooner was ended by its call's deadline.
const lone = useLoneFollower();

/** A unary call with a deadline `ms` from now; resolves with the error (or undefined). */
function callWithDeadline(service: 'KV' | 'Lease', method: string, req: object, ms: number): Promise<ServiceError | undefined> {
  const client = rawClient(service, lone.c.urls.get(lone.follower)!);
  return new Promise((resolve) => {
    (client[method] as (r: object, m: Metadata, o: object, cb: (e: ServiceError | null) => void) => void)(req, new Metadata(), { deadline: Date.now() + ms }, (e) => {
      client.close();
      resolve(e ?? undefined);
    });
  });
}

test('a write and a linearizable read past their gRPC deadline: DEADLINE_EXCEEDED at the client, and the server gives them up at the deadline', async () => {
  const [put, range, grant] = await Promise.all([
    callWithDeadline('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v') }, 1500),
    callWithDeadline('KV', 'Range', { key: Buffer.from('k') }, 1500),
    callWithDeadline('Lease', 'LeaseGrant', { TTL: 10 }, 1500),
  ]);
  for (const e of [put, range, grant]) expect(e?.code).toBe(status.DEADLINE_EXCEEDED);
  // The server ends each request at the call's deadline, long before the replica's own 10-minute
  // timeout would: as etcd's server, with "request timed out" (Unavailable) when its copy of the
  // deadline passes first, or "request canceled" when the client's reset at its deadline arrives
  // first (under load the server may have seen the call late; see the next test for the former alone).
  // (Waiting for the three answers to be counted, not only for nothing to be pending: on a
  // loaded machine the client can see its deadline before the server has even read a call.)
  const handled = [['KV', 'Put'], ['KV', 'Range'], ['Lease', 'LeaseGrant']].map(([service, method]) =>
    new RegExp(`grpc_server_handled_total\\{grpc_type="unary",grpc_service="etcdserverpb\\.${service!}",grpc_method="${method!}",grpc_code="(Unavailable|Canceled)"\\} 1`));
  const server = lone.c.servers.get(lone.follower)!;
  await until(async () => { const text = await server.metrics.text(); return handled.every((re) => re.test(text)); }, 'the member to give the requests up');
  expect(lone.c.replicas.get(lone.follower)!.status().pending).toBe(0);
});

test('a call whose deadline passes while its request waits (the client never resets it) is answered etcd\'s Unavailable "etcdserver: request timed out"', async () => {
  const kv = lone.c.clients.get(lone.follower)!;
  const ctx = { grpc: new GrpcMetrics(), leader: () => 0 } as unknown as RpcContext;
  const put = unary(ctx, 'etcdserverpb.KV', 'Put', (_req: unknown, options) => kv.put(new Uint8Array([1]), new Uint8Array([2]), options));
  const call = Object.assign(new EventEmitter(), { request: {}, metadata: new Metadata(), cancelled: false, getDeadline: () => Date.now() + 50 });
  const err = await new Promise<ServiceError | null>((resolve) => {
    put(call, (e) => resolve(e as ServiceError | null));
  });
  expect(err?.code).toBe(status.UNAVAILABLE);
  expect(err?.details).toBe('etcdserver: request timed out');
});

test('callOptions: the deadline becomes timeoutMs (the time left), hasleader becomes waitForLeader: false', () => {
  const call = (deadline: Date | number, md = new Metadata()): ServerUnaryCall<unknown, unknown> => ({ getDeadline: () => deadline, metadata: md }) as unknown as ServerUnaryCall<unknown, unknown>;
  expect(callOptions(call(Infinity))).toEqual({});
  vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
  try {
    expect(callOptions(call(new Date(1_000_500))).timeoutMs).toBe(500);
    expect(callOptions(call(1_000_000 - 50)).timeoutMs).toBe(1); // already past: fail at the next check
  } finally {
    vi.useRealTimers();
  }
  const md = new Metadata();
  md.set('hasleader', 'true');
  expect(callOptions(call(Infinity, md))).toEqual({ waitForLeader: false });
});
