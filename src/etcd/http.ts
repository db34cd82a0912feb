import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { Replica } from '../replica/replica.js';
import type { EtcdMetrics } from './metrics.js';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION, RAFTKIT_VERSION } from './version.js';

/** What the HTTP endpoints read. */
export interface HttpEndpointsOptions {
  /** The replica (leader, linearizable read for `/health`). */
  replica: Replica;
  /** The metrics served on `/metrics`. */
  metrics: EtcdMetrics;
  /** Active alarms (e.g. `['NOSPACE']`): `/health` is false while any is raised. Default none. */
  alarms?: () => readonly string[];
  /** How long `/health`'s linearizable read may take, in ms. Default 1000. */
  healthTimeoutMs?: number;
  /** TLS for `https://` URLs (the client certificate and key). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** `/health`'s answer: etcd's `{"health":"true"|"false","reason":...}`. */
export async function health(o: HttpEndpointsOptions): Promise<{ health: 'true' | 'false'; reason: string }> {
  const alarms = o.alarms?.() ?? [];
  if (alarms.length > 0) return { health: 'false', reason: `ALARM ${alarms.join(',')}` };
  if (o.replica.status().leader === 0) return { health: 'false', reason: 'RAFT NO LEADER' };
  try {
    await o.replica.read({ timeoutMs: o.healthTimeoutMs ?? 1000 });
    return { health: 'true', reason: '' };
  } catch (e) {
    return { health: 'false', reason: `QGET ERROR: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * Serves etcd's HTTP endpoints on `url` (`--listen-metrics-urls`): `/metrics` (Prometheus text),
 * `/health` (200 when healthy, 503 otherwise) and `/version`. Resolves with the server and the
 * URL listened on (port 0 picks one).
 */
export async function serveHttpEndpoints(url: string, o: HttpEndpointsOptions): Promise<{ server: net.Server; url: string }> {
  const u = new URL(url);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/metrics') {
      o.metrics.text().then((t) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(t), (e: unknown) => json(500, { error: String(e) }));
    } else if (path === '/health') {
      void health(o).then((h) => json(h.health === 'true' ? 200 : 503, h));
    } else if (path === '/version') {
      json(200, { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION, raftkit: RAFTKIT_VERSION });
    } else {
      json(404, { error: 'not found' });
    }
  };
  let server: http.Server | https.Server;
  if (u.protocol === 'https:') {
    if (o.tls === undefined) throw new Error(`https metrics URL '${url}' needs a certificate`);
    server = https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler);
  } else {
    server = http.createServer(handler);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(u.port), u.hostname.replace(/^\[|\]$/g, ''), () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return { server, url: `${u.protocol}//${u.hostname}:${port}` };
}
