/**
 * The demo's live page (`npm run demo -- --web`): a node:http server on loopback with one
 * HTML page that polls `GET /state` (members, leader, terms, commit and applied indexes,
 * throughput over time, the timeline) and posts `POST /action?op=kill|restart|isolate|heal&id=N`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DemoCluster } from './demo-cluster.js';
import { page } from './web-page.js';

/** The running page. */
export interface WebView {
  url: string;
  /** Keeps a light write load on the cluster (8 writers) until the process ends. */
  load(): Promise<never>;
}

/** Serves the page for `cluster` on 127.0.0.1:`port` (0: a free port). */
export async function serveWeb(cluster: DemoCluster, port: number): Promise<WebView> {
  const act = async (op: string, id: number): Promise<void> => {
    if (!cluster.ids.includes(id)) throw new Error(`no member ${id}`);
    const alive = cluster.views.get(id)!.alive;
    if (op === 'kill' && alive) {
      await cluster.kill(id);
      cluster.log(`member ${id} killed with SIGKILL (from the page)`);
    } else if (op === 'restart' && !alive) {
      await cluster.start(id);
      cluster.log(`member ${id} restarted (from the page)`);
    } else if ((op === 'isolate' || op === 'heal') && alive) {
      await cluster.isolate(id, op === 'isolate');
      cluster.log(`member ${id} ${op === 'isolate' ? 'cut off the network' : 'reconnected'} (from the page)`);
    }
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (req.method === 'GET' && url.pathname === '/state') {
      const state = { now: cluster.now(), members: [...cluster.views.values()], acked: cluster.acked.size, watch: cluster.watch?.summary(), rates: cluster.rates, timeline: cluster.timeline.slice(-12) };
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(state));
    } else if (req.method === 'POST' && url.pathname === '/action') {
      await act(url.searchParams.get('op') ?? '', Number(url.searchParams.get('id')));
      res.writeHead(204).end();
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
    } else res.writeHead(404).end('not found');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref();
  const addr = server.address();
  const poller = setInterval(() => void cluster.poll(), 200);
  poller.unref();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : port}/`,
    async load(): Promise<never> {
      let i = 0;
      const writer = async (): Promise<never> => {
        for (;;) {
          const n = i++;
          await cluster.put(cluster.ids[n % 3]!, `load-${n}`, `value-${n}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      return Promise.all(Array.from({ length: 8 }, writer)).then(() => {
        throw new Error('unreachable');
      });
    },
  };
}
