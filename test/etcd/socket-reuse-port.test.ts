import * as net from 'node:net';
import { afterEach, expect, test, vi } from 'vitest';
import { serveHttpEndpoints, type HttpEndpointSource } from '../../src/etcd/http.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { startKvCluster } from './helpers.js';

// `--socket-reuse-port` reaches every listener the member makes: the client URLs' (gRPC and the
// HTTP-only ones), the peer transport's and the metrics URLs'. (This Node may not have
// `reusePort`, which then ignores it: the command refuses the flag there, see cli-flags.test.ts.)

afterEach(() => vi.restoreAllMocks());

/** Every `listen` call's options while `run` runs: whether each asked for reusePort. */
async function listenCalls(run: () => Promise<void>): Promise<boolean[]> {
  const spy = vi.spyOn(net.Server.prototype, 'listen');
  await run();
  return spy.mock.calls.map((args) => (args[0] as { reusePort?: boolean }).reusePort === true);
}

const source: HttpEndpointSource = { metrics: () => Promise.resolve(''), health: () => Promise.resolve({ health: 'true', reason: '' }), probe: () => Promise.resolve(undefined) };

test.each([true, false])('reusePort %s reaches the client, client HTTP, peer and metrics listeners', async (reusePort) => {
  const calls = await listenCalls(async () => {
    const c = await startKvCluster([1], { reusePort, grpcOnly: true });
    await c.servers.get(1)!.listenHttp('http://127.0.0.1:0');
    await c.close();
    const t = new TcpTransport({ id: 1, port: 0, reusePort });
    await t.start();
    await t.close();
    const h = await serveHttpEndpoints('http://127.0.0.1:0', source, undefined, reusePort);
    h.server.close();
  });
  expect(calls).toEqual([reusePort, reusePort, reusePort, reusePort]);
});
