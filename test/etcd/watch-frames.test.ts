import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors.js';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startKvCluster, until, type KvCluster } from './helpers.js';

// The ready batches of a member's Watch stream (every watcher's of one burst) leave as framed
// messages in one write: one WatchResponse per revision and watcher, in order, counted one by one
// in grpc_server_msg_sent_total.

interface Res { header: { revision: string }; events: { kv: { key: Buffer; mod_revision: string } }[] }

let cluster: KvCluster;
beforeAll(async () => {
  cluster = await startKvCluster([1]);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await cluster.close();
});

const WATCH_SENT = /^grpc_server_msg_sent_total\{grpc_type="bidi_stream",grpc_service="etcdserverpb\.Watch",grpc_method="Watch"\} (\d+)$/m;

/** How many messages grpc-js's server calls were handed on Watch streams so far (a spy that calls through). */
function watchHandOffs(): () => number {
  const spy = vi.spyOn(BaseServerInterceptingCall.prototype, 'sendMessage');
  return () => spy.mock.contexts.filter((call) => (call as { handler: { path: string } }).handler.path === '/etcdserverpb.Watch/Watch').length;
}

test('two watchers of one stream that see the same revision: their two responses leave in one hand-off to grpc-js', async () => {
  const server = cluster.servers.get(1)!;
  const handOffs = watchHandOffs();
  const client = new Etcd3({ hosts: cluster.urls.get(1)! });
  try {
    const a = await client.watch().prefix('two/').create();
    const b = await client.watch().key('two/k').create();
    const got: string[] = [];
    a.on('put', (kv: { key: Buffer }) => got.push(`a ${kv.key.toString()}`));
    b.on('put', (kv: { key: Buffer }) => got.push(`b ${kv.key.toString()}`));
    const before = handOffs();
    const sent0 = Number(WATCH_SENT.exec(await server.metrics.text())?.[1] ?? 0);
    await cluster.clients.get(1)!.put('two/k', 'v');
    await until(() => got.length >= 2, 'both events');
    expect(got.sort()).toEqual(['a two/k', 'b two/k']);
    expect(handOffs() - before).toBe(1);
    expect(Number(WATCH_SENT.exec(await server.metrics.text())?.[1] ?? 0) - sent0).toBe(2);
    await Promise.all([a.cancel(), b.cancel()]);
  } finally {
    vi.restoreAllMocks();
    client.close();
  }
});

test('50 past revisions caught up at once: one response holding all 50 revisions (as etcd batches a catch-up), at the current revision, counted once', async () => {
  const kv = cluster.clients.get(1)!;
  const server = cluster.servers.get(1)!;
  const revs: number[] = [];
  for (let i = 0; i < 50; i++) revs.push((await kv.put(`frames/${String(i % 7)}`, String(i))).header.revision);
  const handOffs = watchHandOffs();
  const sent0 = Number(WATCH_SENT.exec(await server.metrics.text())?.[1] ?? 0);
  const client = new Etcd3({ hosts: cluster.urls.get(1)! });
  try {
    const w = await client.watch().prefix('frames/').startRevision(String(revs[0])).create();
    const got: Res[] = [];
    w.on('data', (r: Res) => got.push(r));
    await until(() => got.flatMap((r) => r.events).length >= 50, 'the 50 events');
    expect(got.map((r) => r.events.map((e) => Number(e.kv.mod_revision)))).toEqual([revs]);
    expect(got.map((r) => Number(r.header.revision))).toEqual([revs[49]]);
    // The created response, then the batch.
    expect(handOffs()).toBe(2);
    expect(Number(WATCH_SENT.exec(await server.metrics.text())?.[1] ?? 0) - sent0).toBe(2);
    await w.cancel();
  } finally {
    vi.restoreAllMocks();
    client.close();
  }
});
