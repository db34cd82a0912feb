import { afterEach, describe, expect, test } from 'vitest';
import { KvCluster } from './kv-cluster.js';
import { KvClient } from '../../src/kv/kv-client.js';
import { dec } from './helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('KvClient on one member', () => {
  test('put, range, delete, txn with headers', async () => {
    cluster = await KvCluster.create(1);
    const kv = cluster.client(1);
    const p = await kv.put('a', '1');
    expect(p.header).toMatchObject({ revision: 2, memberId: 1n });
    expect(p.header.raftTerm).toBeGreaterThan(0);
    await kv.put('b', '2');
    const r = await kv.range('a', { rangeEnd: 'c' });
    expect(r.kvs.map((x) => [dec(x.key), dec(x.value), x.createRevision, x.modRevision, x.version])).toEqual([
      ['a', '1', 2, 2, 1],
      ['b', '2', 3, 3, 1],
    ]);
    expect(r.count).toBe(2);
    expect(r.header.revision).toBe(3);
    const d = await kv.deleteRange('a', { prefix: true, prevKv: true });
    expect(d.deleted).toBe(1);
    expect(d.prevKvs.map((x) => dec(x.value))).toEqual(['1']);
    const t = await kv.txn({ compare: [{ key: 'b', target: 0, result: 0, version: 1 }], success: [{ requestPut: { key: 'b', value: '3' } }, { requestRange: { key: 'b' } }] });
    expect(t.succeeded).toBe(true);
    expect(t.header.revision).toBe(5);
  });
});

describe('request size limit (etcd: 1.5 MiB)', () => {
  test('a put or txn over 1.5 MiB is refused with ERR_REQUEST_TOO_LARGE before it is proposed', async () => {
    cluster = await KvCluster.create(1);
    const kv = cluster.client(1);
    await kv.put('small', 'x');
    const before = kv.replica.status().commit;
    const big = new Uint8Array(1.5 * 1024 * 1024 + 1);
    await expect(kv.put('big', big)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE', message: expect.stringContaining('etcdserver: request is too large') as unknown });
    await expect(kv.txn({ success: [{ requestPut: { key: 'a', value: big.subarray(0, 800_000) } }, { requestPut: { key: 'b', value: big.subarray(0, 800_000) } }] })).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    expect(kv.replica.status().commit).toBe(before);
    expect((await kv.range('small')).header.revision).toBe(2);
    // Just under the limit is accepted.
    expect((await kv.put('big', big.subarray(0, 1024 * 1024))).header.revision).toBe(3);
  });
});

describe('metrics', () => {
  test('synced KV backend writes are timed by etcd_disk_backend_commit_duration_seconds on the replica registry', async () => {
    cluster = await KvCluster.create(1);
    const kv = cluster.client(1);
    for (let i = 0; i < 5; i++) await kv.put(`m${i}`, 'x');
    const m = (await kv.replica.metricsJSON())['etcd_disk_backend_commit_duration_seconds'];
    const count = m?.values.find((v) => v.metricName === 'etcd_disk_backend_commit_duration_seconds_count')?.value ?? 0;
    // Apply batches queued while a write is in flight share the next one (group commit): how
    // many writes five puts take depends on how fast each is.
    expect(count).toBeGreaterThanOrEqual(1);
    // A second client on the same replica registers nothing twice.
    expect(() => new KvClient(kv.replica)).not.toThrow();
  });
});

describe('KvClient.rangeNow (the server\'s serializable Range from memory)', () => {
  test('answers a serializable range from memory with the member\'s header, counted once; leaves linearizable ones to rangeRequest', async () => {
    cluster = await KvCluster.create(1);
    const kv = cluster.client(1);
    await kv.put('a', '1');
    await kv.put('b', '2');
    const ranges = (): number => kv.stateMachine.store.ops.ranges;
    const before = ranges();
    const req = { key: new TextEncoder().encode('a'), rangeEnd: new TextEncoder().encode('c') };
    expect(kv.rangeNow(req)).toBeUndefined(); // linearizable: needs a read barrier
    const got = kv.rangeNow({ ...req, serializable: true });
    expect(got).toEqual(await kv.rangeRequest({ ...req, serializable: true }, {}));
    expect(got?.header).toMatchObject({ revision: 3, memberId: 1n });
    expect(got?.kvs.map((x) => dec(x.value))).toEqual(['1', '2']);
    expect(ranges()).toBe(before + 2); // rangeNow's and rangeRequest's, nothing for the linearizable refusal
    expect(() => kv.rangeNow({ ...req, serializable: true, revision: 99 })).toThrow(expect.objectContaining({ code: 'ERR_FUTURE_REV' }) as Error);
  });
});
