import { Client, credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { startKvCluster, type KvCluster } from './helpers.js';

/** Malformed request bytes over the wire: refused as a failed unmarshal (INTERNAL, as etcd's gRPC server answers one), the server serving on. */
describe('malformed KV requests over gRPC', () => {
  let c: KvCluster;
  let client: Client;
  beforeAll(async () => {
    c = await startKvCluster([1]);
    client = new Client(new URL(c.urls.get(1)!).host, credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await c.close();
  });
  const raw = (method: string, buf: Buffer): Promise<{ err?: ServiceError; res?: Buffer }> => new Promise((resolve) => {
    client.makeUnaryRequest(`/etcdserverpb.KV/${method}`, (b: Buffer) => b, (b: Buffer) => b, buf, new Metadata(), (err, res) => {
      resolve(err === null ? { res: res ?? Buffer.alloc(0) } : { err });
    });
  });
  const nestedTxn = (levels: number): Buffer => {
    const varint = (v: number): number[] => (v < 0x80 ? [v] : [(v & 0x7f) | 0x80, ...varint(Math.floor(v / 128))]);
    const field = (n: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([(n << 3) | 2, ...varint(body.length)]), body]);
    let t = field(2, field(2, field(1, Buffer.from('k'))));
    for (let i = 0; i < levels; i++) t = field(2, field(4, t));
    return t;
  };

  it.each([
    ['Txn', 'a compare running past the end', [0x0a, 5, 0x08]],
    ['Txn', 'a nested txn\'s op running past the end', [0x12, 6, 0x22, 4, 0x12, 2, 0x12, 9]],
    ['Txn', 'txns nested 1000 deep', [...nestedTxn(1000)]],
    ['DeleteRange', 'a key of the wrong wire type', [0x08, 1]],
    ['Put', 'a truncated value', [0x12, 9, 0x61]],
    ['Range', 'a truncated varint', [0x18, 0x80]],
  ])('%s with %s: INTERNAL, and the next request is served', async (method, _what, bytes) => {
    const bad = await raw(method, Buffer.from(bytes));
    expect(bad.err?.code).toBe(Status.INTERNAL);
    const txn = etcdServices().KV['Txn']!;
    const ok = await raw('Txn', txn.requestSerialize({ success: [{ requestPut: { key: Buffer.from('k'), value: Buffer.from('v') } }] }));
    expect(ok.err).toBeUndefined();
    expect((txn.responseDeserialize(ok.res!) as { succeeded: boolean }).succeeded).toBe(true);
  });
});
