import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EtcdServer as RealEtcd } from '../kv/etcd-server.js';
import { startKvCluster, until, type KvCluster } from './helpers.js';

// A synced watcher under a burst of concurrent puts (many revisions applied together): the
// etcd3 client sees the same message shape from raftkit as from a real etcd 3.4, one
// WatchResponse per revision, whose header revision is that revision, in revision order.

interface Res { header: { revision: string }; events: { kv: { key: Buffer; mod_revision: string } }[] }

let cluster: KvCluster;
let real: RealEtcd;
const clients: Record<'raftkit' | 'etcd', () => Etcd3> = {
  raftkit: () => new Etcd3({ hosts: [...cluster.urls.values()][0]! }),
  etcd: () => real.client,
};

beforeAll(async () => {
  [cluster, real] = await Promise.all([startKvCluster([1]), RealEtcd.start()]);
});
afterAll(async () => {
  await Promise.all([cluster.close(), real.stop()]);
});

describe.each(['raftkit', 'etcd'] as const)('%s', (system) => {
  test('100 concurrent puts: one response per revision, header.revision = its events\' revision, in order, nothing lost', async () => {
    const client = clients[system]();
    const w = await client.watch().prefix('burst/').create();
    const got: Res[] = [];
    w.on('data', (r: Res) => got.push(r));
    const puts = await Promise.all(Array.from({ length: 100 }, (_, i) => client.put(`burst/${String(i % 10)}`).value(String(i)).exec()));
    const events = (): number => got.reduce((n, r) => n + r.events.length, 0);
    await until(() => events() >= 100, 'the 100 events');
    const revs = got.map((r) => Number(r.header.revision));
    for (const r of got) expect(r.events.map((e) => Number(e.kv.mod_revision))).toEqual([Number(r.header.revision)]);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(new Set(revs)).toEqual(new Set(puts.map((p) => Number(p.header.revision))));
    await w.cancel();
    if (system === 'raftkit') client.close();
  });
});
