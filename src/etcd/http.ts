import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { RaftkitError } from '../errors.js';
import type { Replica } from '../replica/replica.js';
import type { EtcdMetrics } from './metrics.js';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION, RAFTKIT_VERSION } from './version.js';

/** `/health`'s answer: etcd's `{"health":"true"|"false","reason":...}`. */
export interface Health {
  /** `'true'` when the member has a leader, no active alarm and a linearizable read succeeds. */
  health: 'true' | 'false';
  /** Why not, in etcd's words (`RAFT NO LEADER`, `ALARM NOSPACE`, `QGET ERROR: ...`); empty when healthy. */
  reason: string;
}

/** What etcd's HTTP endpoints answer from: a member's metrics text and its health. */
export interface HttpEndpointSource {
  /** The Prometheus text served on `/metrics`. */
  metrics(): Promise<string>;
  /** The answer served on `/health`. */
  health(): Promise<Health>;
}

/** What a member's {@link HttpEndpointSource} reads. */
export interface MemberEndpointsOptions {
  /** The replica (leader, linearizable read for `/health`). */
  replica: Replica;
  /** The metrics served on `/metrics`. */
  metrics: EtcdMetrics;
  /** Active alarms (e.g. `['NOSPACE']`): `/health` is false while any is raised. Default none. */
  alarms?: () => readonly string[];
  /** How long `/health`'s linearizable read may take, in ms. Default 1000. */
  healthTimeoutMs?: number;
}

/**
 * What `e` says: its message when it is an `Error`, else its text.
 * @internal
 */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The HTTP endpoints' answers for a member: its metrics, and its health as etcd judges it. */
export function memberEndpoints(o: MemberEndpointsOptions): HttpEndpointSource {
  const judge = async (): Promise<Health> => {
    const alarms = o.alarms?.() ?? [];
    if (alarms.length > 0) return { health: 'false', reason: `ALARM ${alarms.join(',')}` };
    if (o.replica.status().leader === 0) return { health: 'false', reason: 'RAFT NO LEADER' };
    try {
      await o.replica.read({ timeoutMs: o.healthTimeoutMs ?? 1000 });
      return { health: 'true', reason: '' };
    } catch (e) {
      return { health: 'false', reason: `QGET ERROR: ${messageOf(e)}` };
    }
  };
  return {
    metrics: () => o.metrics.scrape(),
    // Each answer counted, as etcd counts them (etcd_server_health_success, _failures).
    async health() {
      const h = await judge();
      (h.health === 'true' ? o.metrics.healthSuccess : o.metrics.healthFailures).inc();
      return h;
    },
  };
}

/**
 * The CORS headers etcd's client URLs answer HTTP/1 requests with (its `--cors` default, `*`).
 * @internal
 */
export const CLIENT_URL_CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-headers': 'accept, content-type, authorization',
  'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'access-control-allow-origin': '*',
};

/**
 * The handler of etcd's HTTP endpoints from `source`: `/metrics` (Prometheus text; 503 when the
 * source cannot give it), `/health` (200 when healthy, 503 otherwise) and `/version`, each with
 * `headers` too.
 * @internal
 */
export function httpEndpointsHandler(source: HttpEndpointSource, headers: Readonly<Record<string, string>> = {}): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/metrics') {
      source.metrics().then((t) => res.writeHead(200, { ...headers, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(t), (e: unknown) => json(503, { error: messageOf(e) }));
    } else if (path === '/health') {
      source.health().then((h) => json(h.health === 'true' ? 200 : 503, h), (e: unknown) => json(503, { health: 'false', reason: messageOf(e) }));
    } else if (path === '/version') {
      json(200, { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION, raftkit: RAFTKIT_VERSION });
    } else {
      json(404, { error: 'not found' });
    }
  };
}

/**
 * Serves etcd's HTTP endpoints ({@link httpEndpointsHandler}) on `url` (`--listen-metrics-urls`)
 * from `source`. `tls` (the client certificate and key) is needed for `https://` URLs. Resolves
 * with the server and the URL listened on (port 0 picks one).
 */
export async function serveHttpEndpoints(url: string, source: HttpEndpointSource, tls?: { cert: string | Buffer; key: string | Buffer }): Promise<{ server: http.Server; url: string }> {
  const u = new URL(url);
  const handler = httpEndpointsHandler(source);
  let server: http.Server;
  if (u.protocol === 'https:') {
    if (tls === undefined) throw new RaftkitError('ERR_INVALID_ARGUMENT', `https metrics URL '${url}' needs a certificate and key`);
    server = https.createServer({ cert: tls.cert, key: tls.key }, handler);
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
