import { Metadata, status, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { expect, test, vi } from 'vitest';
import { callOptions } from '../../src/etcd/rpc.js';
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

test('a write and a linearizable read past their gRPC deadline: DEADLINE_EXCEEDED at the client, and the server gives them up at the deadline with etcd\'s "request timed out"', async () => {
  const [put, range, grant] = await Promise.all([
    callWithDeadline('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v') }, 300),
    callWithDeadline('KV', 'Range', { key: Buffer.from('k') }, 300),
    callWithDeadline('Lease', 'LeaseGrant', { TTL: 10 }, 300),
  ]);
  for (const e of [put, range, grant]) expect(e?.code).toBe(status.DEADLINE_EXCEEDED);
  // The server ends each request as etcd's does when the call's context expires, "etcdserver: request timed out"
  // (Unavailable), long before the replica's own 10-minute timeout would.
  const r = lone.c.replicas.get(lone.follower)!;
  await until(() => r.status().pending === 0, 'the member to give the requests up');
  const metrics = await lone.c.servers.get(lone.follower)!.metrics.text();
  for (const [service, method] of [['KV', 'Put'], ['KV', 'Range'], ['Lease', 'LeaseGrant']]) {
    expect(metrics).toContain(`grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.${service}",grpc_method="${method}",grpc_code="Unavailable"} 1`);
  }
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
