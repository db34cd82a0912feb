import { afterEach, describe, expect, test } from 'vitest';
import { KvCluster } from './kv-cluster.js';
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
