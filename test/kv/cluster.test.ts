import { afterEach, describe, expect, test } from 'vitest';
import type { KvClient } from '../../src/kv/kv-client.js';
import { KvCluster } from './kv-cluster.js';
import { dec } from './helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Everything a member holds, read locally (serializable). */
async function dump(kv: KvClient): Promise<string[]> {
  const r = await kv.range('\0', { rangeEnd: '\0', serializable: true });
  return r.kvs.map((x) => `${dec(x.key)}=${dec(x.value)}@${x.createRevision}/${x.modRevision}/v${x.version}/l${x.lease}`);
}

describe('raftkit/kv on 3 in-process members', () => {
  test('writes through any member take one revision each, in order; every member then serves the same data', async () => {
    const c = (cluster = await KvCluster.create(3));
    const revs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const kv = c.client(1 + (i % 3));
      revs.push((await kv.put(`k${i % 7}`, `v${i}`)).header.revision);
    }
    expect(revs).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const lease = await c.client(2).lease.grant(600, { id: 42n });
    await c.client(3).put('leased', 'x', { lease: lease.id });
    const t = await c.client(1).txn({ compare: [{ key: 'k1', target: 0, result: 1, version: 0 }], success: [{ requestDeleteRange: { key: 'k1' } }, { requestPut: { key: 'k8', value: 'new' } }] });
    expect(t.succeeded).toBe(true);
    expect(t.header.memberId).toBe(1n);
    // A linearizable read on any member sees the latest write.
    for (const id of [1, 2, 3]) {
      const r = await c.client(id).range('k8');
      expect(r.kvs.map((x) => dec(x.value))).toEqual(['new']);
      expect(r.header.revision).toBe(t.header.revision);
    }
    // Revoke deletes the attached key on every member at one revision.
    const rv = await c.client(3).lease.revoke(42n);
    await c.waitApplied(c.replicas.get(3)!.status().applied);
    const dumps = await Promise.all([1, 2, 3].map((id) => dump(c.client(id))));
    expect(dumps[1]).toEqual(dumps[0]);
    expect(dumps[2]).toEqual(dumps[0]);
    expect(dumps[0]!.some((l) => l.startsWith('leased='))).toBe(false);
    for (const id of [1, 2, 3]) expect(c.client(id).stateMachine.store.visibleRev).toBe(rv.header.revision);
  }, 30_000);

  test('a restarted member resumes from its stored applied index (nothing applied twice) with the same revision', async () => {
    const c = (cluster = await KvCluster.create(3));
    for (let i = 0; i < 10; i++) await c.client(1).put(`a${i}`, 'x');
    await c.waitApplied(c.replicas.get(1)!.status().applied);
    await c.stop(2);
    for (let i = 0; i < 10; i++) await c.client(1).put(`a${i}`, 'y');
    const back = await c.start(2);
    await c.waitLeader();
    const r = await back.range('a', { prefix: true });
    expect(r.kvs.map((x) => [dec(x.value), x.version])).toEqual(Array.from({ length: 10 }, () => ['y', 2]));
    expect(r.header.revision).toBe(21);
    expect(back.stateMachine.store.rev).toBe(21);
  }, 30_000);

  test('a member that fell behind the compacted log catches up through a snapshot of the KV state', async () => {
    const c = (cluster = await KvCluster.create(3, {}, { snapshotEvery: 20, compactionTail: 5 }));
    const lead = await c.waitLeader();
    const lagging = [1, 2, 3].find((id) => id !== lead.id)!;
    const writer = c.client(lead.id);
    await c.stop(lagging);
    await writer.lease.grant(600, { id: 7n });
    for (let i = 0; i < 60; i++) await writer.put(`k${i % 13}`, `v${i}`, i % 5 === 0 ? { lease: 7n } : {});
    await writer.deleteRange('k1');
    await writer.compact(40, { physical: true });
    // A fresh database: the member can only get the state from a snapshot.
    c.dbs.delete(lagging);
    const restored = new Promise<number>((resolve) => {
      const kv = c.start(lagging);
      void kv.then((k) => k.replica.on('snapshot', (kind, index) => kind === 'restored' && resolve(index)));
    });
    expect(await restored).toBeGreaterThan(0);
    await c.waitApplied(lead.status().commit);
    const back = c.client(lagging);
    expect(await dump(back)).toEqual(await dump(writer));
    expect(back.stateMachine.store.compactRev).toBe(40);
    expect(back.lease.get(7n)?.ttl).toBe(600);
    await expect(back.range('k2', { revision: 39, serializable: true })).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
    expect((await back.range('k2', { revision: 40, serializable: true })).kvs.length).toBe(1);
  }, 30_000);
});
