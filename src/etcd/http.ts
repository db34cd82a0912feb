import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { RaftkitError } from '../errors.js';
import { listenOptions } from '../transport/listen-options.js';
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

/**
 * What a `/health` request asks, from its query, as etcd reads it: `exclude` (repeatable) names
 * alarms that do not make the member unhealthy (Kubernetes' liveness probe passes
 * `exclude=NOSPACE`), and `serializable=true` judges the member alone: no leader is needed, and
 * the read is local.
 */
export interface HealthQuery {
  /** Alarm names to leave out (`NOSPACE`, `CORRUPT`). */
  exclude?: readonly string[] | undefined;
  /** Judge the member alone (no leader needed, a local read). */
  serializable?: boolean | undefined;
}

/**
 * A check of etcd's `/livez` and `/readyz`: `serializable_read` (the member serves a local read)
 * and `data_corruption` (no CORRUPT alarm; `/readyz` only).
 */
export type ProbeCheck = 'serializable_read' | 'data_corruption';

/** What etcd's HTTP endpoints answer from: a member's metrics text, its health and its probes' checks. */
export interface HttpEndpointSource {
  /** The Prometheus text served on `/metrics`. */
  metrics(): Promise<string>;
  /** The answer served on `/health`. */
  health(query?: HealthQuery): Promise<Health>;
  /** Runs one check of `/livez` or `/readyz`: undefined when it passes, else why it failed (etcd's words). */
  probe(check: ProbeCheck): Promise<string | undefined>;
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
  const judge = async (q: HealthQuery): Promise<Health> => {
    // The first active alarm not excluded, as etcd reports it.
    const alarm = (o.alarms?.() ?? []).find((a) => !(q.exclude ?? []).includes(a));
    if (alarm !== undefined) return { health: 'false', reason: `ALARM ${alarm === 'NOSPACE' || alarm === 'CORRUPT' ? alarm : 'UNKNOWN'}` };
    if (q.serializable === true) {
      return o.replica.lifecycle === 'open' ? { health: 'true', reason: '' } : { health: 'false', reason: `QGET ERROR: the member is ${o.replica.lifecycle}` };
    }
    if (o.replica.currentLeader === 0) return { health: 'false', reason: 'RAFT NO LEADER' };
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
    async health(query = {}) {
      const h = await judge(query);
      (h.health === 'true' ? o.metrics.healthSuccess : o.metrics.healthFailures).inc();
      return h;
    },
    probe(check) {
      if (check === 'data_corruption') return Promise.resolve((o.alarms?.() ?? []).includes('CORRUPT') ? 'alarm activated: CORRUPT' : undefined);
      return Promise.resolve(o.replica.lifecycle === 'open' ? undefined : `range error: the member is ${o.replica.lifecycle}`);
    },
  };
}

/**
 * Answers `res` as Go's `http.Error` does: `body` (its newline included) as plain text not to be
 * sniffed, with `headers` too.
 * @internal
 */
export function plainError(res: http.ServerResponse, code: number, body: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(code, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(body);
}

/** The checks of etcd's `/livez` and `/readyz`, in the order answered. */
const PROBES: Readonly<Record<string, readonly ProbeCheck[]>> = { '/livez': ['serializable_read'], '/readyz': ['data_corruption', 'serializable_read'] };

/**
 * The handler of etcd's HTTP endpoints from `source`, each with `headers` too:
 *
 * - `/metrics`: the Prometheus text (503 when the source cannot give it);
 * - `/health`: 200 when healthy, 503 otherwise, with etcd's query (`exclude`, `serializable`);
 * - `/livez` and `/readyz` (and one check, `/livez/serializable_read`): `ok`, or 503 with the
 *   failed checks, as etcd 3.5 answers them (`exclude` leaves checks out, `verbose` lists them);
 * - `/version`.
 *
 * The health endpoints and `/version` take GET only (405 otherwise), as etcd's.
 * @internal
 */
export function httpEndpointsHandler(source: HttpEndpointSource, headers: Readonly<Record<string, string>> = {}): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const text = (code: number, body: string, extra: Record<string, string> = {}): void => plainError(res, code, body, { ...headers, ...extra });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://member');
    } catch {
      // A request target no URL parser takes (`//[`): refused, as Go's server refuses it, not thrown.
      text(400, 'Bad Request\n');
      return;
    }
    const path = url.pathname;
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const probe = PROBES[path] ?? PROBES[path.slice(0, path.lastIndexOf('/'))];
    if ((path === '/health' || path === '/version' || probe !== undefined) && req.method !== 'GET') {
      text(405, 'Method Not Allowed\n', { allow: 'GET' });
    } else if (path === '/metrics') {
      source.metrics().then((t) => res.writeHead(200, { ...headers, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(t), (e: unknown) => json(503, { error: messageOf(e) }));
    } else if (path === '/health') {
      const query = { exclude: url.searchParams.getAll('exclude').filter((x) => x !== ''), serializable: url.searchParams.get('serializable') === 'true' };
      source.health(query).then(
        (h) => (h.health === 'true' ? res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(JSON.stringify(h)) : text(503, `${JSON.stringify(h)}\n`)),
        (e: unknown) => text(503, `${JSON.stringify({ health: 'false', reason: messageOf(e) })}\n`),
      );
    } else if (probe !== undefined) {
      const one = PROBES[path] === undefined ? path.slice(path.lastIndexOf('/') + 1) : undefined;
      if (one !== undefined && !probe.includes(one as ProbeCheck)) {
        json(404, { error: 'not found' });
        return;
      }
      const excluded = url.searchParams.getAll('exclude');
      const checks = one !== undefined ? [one as ProbeCheck] : probe.filter((c) => !excluded.includes(c));
      void runProbes(source, checks).then(({ ok, report }) => {
        if (!ok) text(503, `${report}\n`);
        else text(200, `${url.searchParams.has('verbose') ? report : ''}ok\n`);
      });
    } else if (path === '/version') {
      json(200, { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION, raftkit: RAFTKIT_VERSION });
    } else {
      json(404, { error: 'not found' });
    }
  };
}

/** Runs `checks` in order: whether all passed, and etcd's report (`[+]name ok` or `[-]name failed: why`, a line each). */
async function runProbes(source: HttpEndpointSource, checks: readonly ProbeCheck[]): Promise<{ ok: boolean; report: string }> {
  let ok = true;
  let report = '';
  for (const c of checks) {
    let failed: string | undefined;
    try {
      failed = await source.probe(c);
    } catch (e) {
      failed = messageOf(e);
    }
    if (failed === undefined) report += `[+]${c} ok\n`;
    else {
      ok = false;
      report += `[-]${c} failed: ${failed}\n`;
    }
  }
  return { ok, report };
}

/**
 * Serves etcd's HTTP endpoints ({@link httpEndpointsHandler}) on `url` (`--listen-metrics-urls`)
 * from `source`. `tls` (the client certificate and key) is needed for `https://` URLs; `reusePort`
 * sets SO_REUSEPORT (`--socket-reuse-port`, see `listenOptions`). Resolves with the server and the
 * URL listened on (port 0 picks one).
 */
export async function serveHttpEndpoints(url: string, source: HttpEndpointSource, tls?: { cert: string | Buffer; key: string | Buffer }, reusePort = false): Promise<{ server: http.Server; url: string }> {
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
    server.listen(listenOptions(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port), reusePort), () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return { server, url: `${u.protocol}//${u.hostname}:${port}` };
}
