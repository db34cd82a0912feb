import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors.js';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startKvCluster, until, type KvCluster } from './helpers.js';

// A watcher's ready batches leave a member's Watch stream as framed messages in one write: one
// WatchResponse per revision, in order, counted one by one in grpc_server_msg_sent_total.

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

test('50 past revisions caught up at once: 50 responses in one hand-off to grpc-js, one per revision in order, 50 messages counted', async () => {
  const kv = cluster.clients.get(1)!;
  const server = cluster.servers.get(1)!;
  const revs: number[] = [];
  for (let i = 0; i < 50; i++) revs.push((await kv.put(`frames/${String(i % 7)}`, String(i))).header.revision);
  // Every message grpc-js's server call is given on the Watch stream (the spy calls through).
  const spy = vi.spyOn(BaseServerInterceptingCall.prototype, 'sendMessage');
  const handOffs = (): number => spy.mock.contexts.filter((call) => (call as { handler: { path: string } }).handler.path === '/etcdserverpb.Watch/Watch').length;
  const sent0 = Number(WATCH_SENT.exec(await server.metrics.text())?.[1] ?? 0);
  const client = new Etcd3({ hosts: cluster.urls.get(1)! });
  try {
    const w = await client.watch().prefix('frames/').startRevision(String(revs[0])).create();
    const got: Res[] = [];
    w.on('data', (r: Res) => got.push(r));
    await until(() => got.length >= 50, 'the 50 responses');
    expect(got.map((r) => r.events.map((e) => Number(e.kv.mod_revision)))).toEqual(revs.map((r) => [r]));
    expect(got.map((r) => Number(r.header.revision))).toEqual(revs);
    // The created response, then the 50 in one write.
    expect(handOffs()).toBe(2);
    expect(Number(WATCH_SENT.exec(await server.metrics.text())?.[1] ?? 0) - sent0).toBe(51);
    await w.cancel();
  } finally {
    client.close();
  }
});
