import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { parseFlags } from '../../src/etcd/cli/flags.js';
import { startKvCluster } from './helpers.js';

// --enable-grpc-gateway=false (EtcdServerOptions.jsonGateway: false): the client URLs serve gRPC and
// etcd's HTTP endpoints, but no JSON gateway and no websocket proxy; the flag defaults to true.

test('without the gateway, /v3/ paths and websocket upgrades get 404; /health and gRPC still answer', async () => {
  const c = await startKvCluster([1], { jsonGateway: false });
  try {
    const url = c.urls.get(1)!;
    const range = await fetch(new URL('/v3/kv/range', url), { method: 'POST', body: '{"key":"YQ=="}' });
    expect(range.status).toBe(404);
    expect((await fetch(new URL('/health', url))).status).toBe(200);
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v3/watch`);
    ws.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(404);
    expect((await c.clients.get(1)!.put('a', '1')).header.revision).toBeGreaterThan(0);
  } finally {
    await c.close();
  }
  const base = ['--name', 'm1', '--initial-cluster', 'm1=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380'];
  const gateway = (argv: string[]): unknown => {
    const p = parseFlags([...base, ...argv]);
    return p.kind === 'run' ? p.config.jsonGateway : undefined;
  };
  expect(gateway([])).toBe(true);
  expect(gateway(['--enable-grpc-gateway=false'])).toBe(false);
});
