import { Client, credentials, Metadata, status as Status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdServices } from '../../src/etcd/proto.js';
import { SeededRng } from '../../src/raft/rng.js';
import { EtcdServer as RealEtcd } from '../kv/etcd-server.js';
import { startKvCluster, type KvCluster } from './helpers.js';

/**
 * Request bytes that do not unmarshal, sent to raftkit and to a real etcd 3.4: the same code
 * (INTERNAL) and the same message, "grpc: error unmarshalling request: " and gogoproto's text.
 */
describe('malformed KV requests are answered with etcd\'s unmarshalling error', () => {
  let etcd: RealEtcd;
  let c: KvCluster;
  let ours: Client;
  let theirs: Client;
  beforeAll(async () => {
    [etcd, c] = await Promise.all([RealEtcd.start(), startKvCluster([1])]);
    ours = new Client(new URL(c.urls.get(1)!).host, credentials.createInsecure());
    theirs = new Client(new URL(etcd.url).host, credentials.createInsecure());
  }, 60_000);
  afterAll(async () => {
    ours.close();
    theirs.close();
    await Promise.all([c.close(), etcd.stop()]);
  });
  const call = (client: Client, method: string, buf: Buffer): Promise<string> => new Promise((resolve) => {
    client.makeUnaryRequest(`/etcdserverpb.KV/${method}`, (b: Buffer) => b, (b: Buffer) => b, buf, new Metadata(), (err) => {
      resolve(err === null ? 'OK' : `${Status[err.code]} ${err.details}`);
    });
  });
  const both = async (method: string, buf: Buffer): Promise<[string, string]> => [await call(ours, method, buf), await call(theirs, method, buf)];

  it.each([
    ['Range', 'a truncated varint', [0x18, 0x80]],
    ['Range', 'tag 0', [0x07]],
    ['Range', 'an 11-byte varint', [0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ['Range', 'an end group', [0x0c]],
    ['Range', 'field 0', [0x00, 0x01]],
    ['Txn', 'an unterminated group', [0xa3, 0x01, 0x08, 0x05]],
    ['Range', 'an unknown field of wire type 7', [0x4f]],
    ['Range', 'a negative length', [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['Put', 'a truncated value', [0x12, 9, 0x61]],
    ['Put', 'the lease as bytes', [0x1a, 1, 0]],
    ['DeleteRange', 'the key as a varint', [0x08, 1]],
    ['Txn', 'a compare running past the end', [0x0a, 5, 0x08]],
    ['Txn', 'a compare as a varint', [0x08, 1]],
    ['Txn', 'an op\'s range as a varint', [0x12, 2, 0x08, 0x01]],
    ['Txn', 'a compare\'s version as bytes', [0x0a, 3, 0x22, 1, 0]],
    ['Txn', 'a nested txn\'s put with the key as a varint', [0x12, 8, 0x22, 6, 0x12, 4, 0x12, 2, 0x08, 0x01]],
  ])('%s with %s', async (method, _what, bytes) => {
    const [mine, real] = await both(method, Buffer.from(bytes));
    expect(real).toMatch(/^INTERNAL grpc: error unmarshalling request: /);
    expect(mine).toBe(real);
  });

  it('a malformed request is not counted in the gRPC statistics (etcd fails it before its interceptors)', async () => {
    const metrics = async (): Promise<string[]> => (await c.servers.get(1)!.metrics.text()).split('\n').filter((l) => l.startsWith('grpc_server_') && l.includes('grpc_method="Txn"') && !l.includes('_bucket'));
    const before = await metrics();
    expect(await call(ours, 'Txn', Buffer.from([0x0a, 5, 0x08]))).toMatch(/^INTERNAL grpc: error unmarshalling request: /);
    expect(await metrics()).toEqual(before);
  });

  it('an unknown group field is skipped by both (the request is served)', async () => {
    const group = [0xa3, 0x01, 0x08, 0x05, 0xab, 0x01, 0xac, 0x01, 0xa4, 0x01];
    const [mine, real] = await both('Range', Buffer.from([...group, 0x0a, 0x01, 0x61, 0x38, 0x01]));
    expect([mine, real]).toEqual(['OK', 'OK']);
  });

  it('seeded corruptions of valid requests (truncated, a byte changed): wherever etcd cannot unmarshal them, the same answer', async () => {
    const kv = etcdServices().KV;
    const key = Buffer.from('/registry/pods/default/p1');
    const valid: [string, Buffer][] = [
      ['Range', kv['Range']!.requestSerialize({ key, rangeEnd: Buffer.from('/registry/pods0'), limit: '500', revision: '0', serializable: true })],
      ['Put', kv['Put']!.requestSerialize({ key, value: Buffer.alloc(40, 1), lease: '7', prevKv: true })],
      ['DeleteRange', kv['DeleteRange']!.requestSerialize({ key, rangeEnd: Buffer.from('/registry/pods0'), prevKv: true })],
      ['Txn', kv['Txn']!.requestSerialize({
        compare: [{ result: 0, target: 2, key, modRevision: '4100' }, { result: 3, target: 3, key, value: Buffer.from('x') }],
        success: [{ requestPut: { key, value: Buffer.alloc(30, 2) } }, { requestTxn: { success: [{ requestDeleteRange: { key } }] } }],
        failure: [{ requestRange: { key } }],
      })],
    ];
    const rng = new SeededRng(71);
    let compared = 0;
    for (let i = 0; i < 240; i++) {
      const [method, good] = valid[i % valid.length]!;
      const bad = Buffer.from(good);
      const cut = rng.nextInt(2) === 0;
      const at = rng.nextInt(bad.length);
      const buf = cut ? bad.subarray(0, at) : (bad[at] = rng.nextInt(256), bad);
      const [mine, real] = await both(method, buf);
      if (real.startsWith('INTERNAL grpc: error unmarshalling request: ')) {
        compared++;
        expect(mine, `${method} ${buf.toString('hex')}`).toBe(real);
      } else {
        expect(mine, `${method} ${buf.toString('hex')}`).not.toMatch(/unmarshalling/);
      }
    }
    expect(compared).toBeGreaterThan(40);
  }, 120_000);
});
