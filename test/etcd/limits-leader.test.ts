import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { callUnary, rawClient, startKvCluster, type KvCluster } from './helpers.js';

// Request limits and the `hasleader` metadata, with etcd's codes and messages.
let c: KvCluster;
const MAX = 4096;

beforeAll(async () => {
  c = await startKvCluster([1, 2, 3], { maxRequestBytes: MAX, maxTxnOps: 8 });
});
afterAll(async () => {
  await c.close();
});

describe('request limits', () => {
  test('a write above maxRequestBytes: InvalidArgument "etcdserver: request is too large"', async () => {
    const { err } = await callUnary(rawClient('KV', c.urls.get(1)!), 'Put', { key: Buffer.from('big'), value: Buffer.alloc(MAX + 1, 1) });
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toBe('etcdserver: request is too large');
    const ok = await callUnary(rawClient('KV', c.urls.get(1)!), 'Put', { key: Buffer.from('small'), value: Buffer.alloc(MAX - 100, 1) });
    expect(ok.err).toBeUndefined();
  });

  test('a Txn or DeleteRange above maxRequestBytes is refused the same way (their sizes are recorded too)', async () => {
    const txn = await callUnary(rawClient('KV', c.urls.get(1)!), 'Txn', { success: [{ requestPut: { key: Buffer.from('big'), value: Buffer.alloc(MAX + 1, 1) } }] });
    expect(txn.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(txn.err?.details).toBe('etcdserver: request is too large');
    const del = await callUnary(rawClient('KV', c.urls.get(1)!), 'DeleteRange', { key: Buffer.alloc(MAX + 1, 1) });
    expect(del.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(del.err?.details).toBe('etcdserver: request is too large');
  });

  test('a message above the gRPC receive limit (maxRequestBytes + 512 KiB) is refused by gRPC itself', async () => {
    const { err } = await callUnary(rawClient('KV', c.urls.get(1)!), 'Put', { key: Buffer.from('huge'), value: Buffer.alloc(MAX + 600 * 1024, 1) });
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  test('a txn with more operations than maxTxnOps: InvalidArgument "etcdserver: too many operations in txn request"', async () => {
    const success = Array.from({ length: 9 }, (_, i) => ({ requestPut: { key: Buffer.from(`t${i}`), value: Buffer.from('v') } }));
    const { err } = await callUnary(rawClient('KV', c.urls.get(1)!), 'Txn', { success });
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toBe('etcdserver: too many operations in txn request');
  });
});

describe('hasleader', () => {
  test('without a leader: unary calls fail at once with Unavailable "etcdserver: no leader"; a watch stream ends with it after three election timeouts', async () => {
    const md = new Metadata();
    md.set('hasleader', 'true');
    const survivor = 3;
    const watchStream = (rawClient('Watch', c.urls.get(survivor)!).Watch as (m: Metadata) => ClientDuplexStream<object, object>)(md);
    const ended = new Promise<ServiceError>((resolve) => watchStream.on('error', resolve));
    watchStream.on('data', () => undefined);
    watchStream.write({ createRequest: { key: Buffer.from('w') } });
    await c.replicas.get(1)!.stop();
    await c.replicas.get(2)!.stop();
    const r = c.replicas.get(survivor)!;
    await new Promise<void>((resolve) => {
      if (r.status().leader === 0) resolve();
      r.on('leader-change', (l) => l === 0 && resolve());
    });
    const { err } = await callUnary(rawClient('KV', c.urls.get(survivor)!), 'Range', { key: Buffer.from('k'), serializable: true }, md);
    expect(err?.code).toBe(status.UNAVAILABLE);
    expect(err?.details).toBe('etcdserver: no leader');
    // Without the metadata a serializable read is still served locally.
    expect((await callUnary(rawClient('KV', c.urls.get(survivor)!), 'Range', { key: Buffer.from('k'), serializable: true })).err).toBeUndefined();
    const e = await ended;
    expect(e.code).toBe(status.UNAVAILABLE);
    expect(e.details).toBe('etcdserver: no leader');
  });
});
