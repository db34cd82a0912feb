import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Counter } from 'prom-client';
import { ConfigInvalidError } from '../raft/errors.js';
import type { Replica } from '../replica/replica.js';
import { positive } from '../replica/options.js';
import { listenOptions } from '../transport/listen-options.js';
import { checkClientTls, createClientTlsServer, type ClientTlsOptions } from './client-tls.js';
import type { SlowUnary } from './grpc-metrics.js';
import { authService } from './auth.js';
import { healthService } from './health.js';
import { clusterService } from './cluster.js';
import { maintenanceService } from './maintenance.js';
import type { KvClient } from '../kv/kv-client.js';
import type { KvSnapshots } from '../kv/etcd-backend/snapshots.js';
import { kvService, SIZE_CHECKED } from './kv.js';
import { withResponseCodecs } from './response-codec.js';
import { leaseService } from './lease.js';
import { watchService } from './watch.js';
import { memberIdFor, type MemberInfo } from './members.js';
import { EtcdMetrics } from './metrics.js';
import { etcdServices, healthServiceDefinition, type EtcdServices } from './proto.js';
import type { RpcContext, UnaryHandler, WireHeader } from './rpc.js';
import { GRPC_OVERHEAD_BYTES, unimplemented } from './rpc.js';
import { admitConnection } from './http2/door.js';
import { GatewayWebsocket } from './json-gateway-ws.js';
import { controlAccess, hostAllowed, type AccessPolicy } from './access-control.js';
import { PingPolicy } from './http2/ping-policy.js';
import { httpEndpointsHandler, memberEndpoints, type HttpEndpointSource } from './http.js';
import { ALARM_NAMES } from '../kv/alarms/alarm-table.js';
import { MAX_SEND_BYTES, UnaryPath } from './unary-path.js';
import { serveJsonGateway, type GatewayRoutes } from './json-gateway.js';
import type { StreamRoute } from './json-gateway-stream.js';

/** Settings of an {@link EtcdServer}. */
export interface EtcdServerOptions {
  /** The replica whose cluster is served. */
  replica: Replica;
  /** The key-value store served by KV, Lease and Watch (raftkit/kv's `KvClient` over `replica`); without it they answer `UNIMPLEMENTED`. */
  kv?: KvClient;
  /** Snapshot maintenance of this member's KV (raftkit/kv's `KvSnapshots`), served as Maintenance.Snapshot; without it Snapshot answers `UNIMPLEMENTED`. */
  snapshots?: KvSnapshots;
  /** The cluster id in response headers. Default 0n. */
  clusterId?: bigint;
  /** This member's name (`--name`). Default `'default'`. */
  name?: string;
  /** This member's advertised client URLs (`--advertise-client-urls`). Default: the URLs it listens on. */
  advertiseClientUrls?: readonly string[];
  /** Names and client URLs of the other members, when known (etcd publishes them through Raft). */
  members?: ReadonlyMap<number, MemberInfo>;
  /** The cluster token (`--initial-cluster-token`) member ids are derived from. Default `'etcd-cluster'`. */
  clusterToken?: string;
  /** The scheme of peer URLs in member lists. Default `'http'`. */
  peerScheme?: 'http' | 'https';
  /** The largest write request, in bytes (`--max-request-bytes`). Default 1.5 MiB; gRPC receives up to 512 KiB more. */
  maxRequestBytes?: number;
  /** The most operations in one txn (`--max-txn-ops`). Default 128. */
  maxTxnOps?: number;
  /** The most learners `MemberAdd` lets the cluster have (`--experimental-max-learners`). Default 1, as etcd. */
  maxLearners?: number;
  /** The backend quota in bytes (`--quota-backend-bytes`), reported in metrics. Default 2 GiB; negative (no quota) is reported as given, as etcd does. */
  quotaBackendBytes?: number;
  /** The election timeout in milliseconds; streams under `hasleader` end after three without a leader. Default 1000. */
  electionTimeoutMs?: number;
  /**
   * Export the gRPC handling-time histogram, `grpc_server_handling_seconds` (etcd's `--metrics
   * extensive`; `false` is etcd's `basic`). Default true: the histogram etcd's alerting rules read.
   */
  handlingTimeHistogram?: boolean;
  /**
   * Who hears of unary calls slower than a threshold (etcd's `--warning-unary-request-duration`,
   * which logs them as "request stats"; the `raftkit` command logs them the same way). Default: none.
   */
  slowUnary?: SlowUnary;
  /** Client TLS for `https://` listen URLs. */
  tls?: ClientTlsOptions;
  /** Origins answered with CORS headers on the client URLs' HTTP (`--cors`); empty or `*`: any. Default `['*']`. */
  cors?: readonly string[];
  /** Host names a plain-text HTTP request may name (`--host-whitelist`, against DNS rebinding); empty or `*`: any. Default `['*']`. */
  hostWhitelist?: readonly string[];
  /** Serve etcd's JSON gateway (`/v3/...` over HTTP, and its websocket proxy) on the client URLs (`--enable-grpc-gateway`). Default true. */
  jsonGateway?: boolean;
  /** The most concurrent streams a client connection may open (`--max-concurrent-streams`). Default: Node's HTTP/2 default (unlimited, as etcd's). */
  maxConcurrentStreams?: number;
  /**
   * The shortest interval between a client's keepalive pings while it has a call open, in ms
   * (`--grpc-keepalive-min-time`); a client that pings more often (or at all without a call, within
   * 2 h) is sent GOAWAY `too_many_pings` at its third early ping. Default 5 s, as etcd's.
   */
  keepaliveMinTimeMs?: number;
  /** How often the server pings an idle client connection, in ms (`--grpc-keepalive-interval`). Default 2 h, as etcd's. */
  keepaliveIntervalMs?: number;
  /** How long it waits for the ping's answer before it closes the connection, in ms (`--grpc-keepalive-timeout`). Default 20 s, as etcd's. */
  keepaliveTimeoutMs?: number;
  /**
   * The URLs of {@link EtcdServer.listen} serve gRPC only, as etcd's `--listen-client-urls` do
   * beside `--listen-client-http-urls`: an HTTP/1 connection is closed as malformed HTTP/2, a
   * non-gRPC HTTP/2 request is reset. The HTTP services are then served on
   * {@link EtcdServer.listenHttp}'s URLs. Default false: the client URLs serve both.
   */
  grpcOnly?: boolean;
  /** Set SO_REUSEPORT on the listeners (`--socket-reuse-port`; Node 22.12 or 23.1 on, which the caller checks). Default false. */
  reusePort?: boolean;
}

const MiB = 1024 * 1024;

/** Whether a client URL's request came over TLS. */
function isSecure(req: http.IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

/**
 * etcd's v3 gRPC API over a raftkit {@link Replica}, embeddable in any Node process: KV, Watch,
 * Lease, Cluster, Maintenance and Auth (which answers `UNIMPLEMENTED`), with etcd's error codes
 * and messages, `hasleader` metadata, request limits, client TLS and etcd's metric names.
 *
 * `listen('http://127.0.0.1:2379')` (or `https://` with `tls`) serves a client URL; `close()`
 * stops every listener and ends open calls.
 */
export class EtcdServer {
  /** The server's metrics (etcd names, gRPC statistics, the replica's own). */
  readonly metrics: EtcdMetrics;
  /**
   * The answers of etcd's HTTP endpoints for this member (`/metrics`, `/health` as etcd judges it,
   * with the KV's alarms): served over HTTP/1 on the client URLs, as etcd serves them, and by the
   * command on `--listen-metrics-urls`.
   */
  readonly endpoints: HttpEndpointSource;
  /** Answers HTTP/1 connections to the client URLs (made at the first). */
  private http1: http.Server | undefined;
  /** Answers HTTP/2 requests that are not gRPC (made at the first; it never listens). */
  private http2Compat: http2.Http2Server | undefined;
  private readonly replica: Replica;
  private readonly grpc: Server;
  private readonly ctx: RpcContext;
  private readonly options: EtcdServerOptions;
  /** The access controller's policy of the client URLs' HTTP (`--cors`, `--host-whitelist`). */
  private readonly access: AccessPolicy;
  private readonly listeners: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly urls: string[] = [];
  private readonly refused: Counter<'reason'>;
  private readonly http2Refused: Counter<'reason'>;
  private readonly admitted: Counter<'path'>;
  private leaderId: number;
  private readonly onLeader = (leader: number): void => {
    this.leaderId = leader;
  };
  private injector: ReturnType<Server['createConnectionInjector']> | undefined;
  /** The unary calls answered on their own HTTP/2 streams, beside grpc-js (unary-path.ts). */
  private readonly unaryPath: UnaryPath;
  /** The streaming methods' handlers, for the JSON gateway. */
  private readonly streamRoutes = new Map<string, StreamRoute>();
  private closed = false;

  /** @param options - the replica and settings; validated here. */
  constructor(options: EtcdServerOptions) {
    const maxRequestBytes = positive('maxRequestBytes', options.maxRequestBytes ?? 1.5 * MiB);
    const maxLearners = options.maxLearners ?? 1;
    positive('maxLearners', maxLearners);
    const maxTxnOps = options.maxTxnOps ?? 128;
    positive('maxTxnOps', maxTxnOps);
    const electionMs = options.electionTimeoutMs ?? 1000;
    if (!(electionMs > 0)) throw new ConfigInvalidError(`electionTimeoutMs must be positive, got ${electionMs}`);
    if (options.tls !== undefined) checkClientTls(options.tls);
    const connection = {
      'grpc.keepalive_time_ms': positive('keepaliveIntervalMs', options.keepaliveIntervalMs ?? 2 * 3600_000),
      'grpc.keepalive_timeout_ms': positive('keepaliveTimeoutMs', options.keepaliveTimeoutMs ?? 20_000),
      ...(options.maxConcurrentStreams === undefined ? {} : { 'grpc.max_concurrent_streams': positive('maxConcurrentStreams', options.maxConcurrentStreams) }),
    };
    this.access = { cors: options.cors ?? ['*'], hostWhitelist: options.hostWhitelist ?? ['*'] };
    this.options = options;
    this.replica = options.replica;
    this.leaderId = this.replica.status().leader;
    this.replica.on('leader-change', this.onLeader);
    this.metrics = new EtcdMetrics(this.replica, options.quotaBackendBytes ?? 2 * 1024 * MiB, options.handlingTimeHistogram ?? true, options.slowUnary);
    this.endpoints = memberEndpoints({ replica: this.replica, metrics: this.metrics, alarms: () => options.kv?.alarms.active().map((a) => ALARM_NAMES[a.alarm]) ?? [] });
    this.refused = new Counter({
      name: 'raftkit_client_tls_refused_total', help: 'Client connections refused during the TLS handshake (no certificate, unknown CA, expired...), by reason.',
      labelNames: ['reason'], registers: [this.metrics.registry],
    });
    this.http2Refused = new Counter({
      name: 'raftkit_client_http2_refused_total', help: 'Client connections closed for malformed HTTP/2 before reaching the gRPC server (preface, frame, hpack, huffman, too_large), by reason.',
      labelNames: ['reason'], registers: [this.metrics.registry],
    });
    this.admitted = new Counter({
      name: 'raftkit_client_http2_connections_total', help: 'Client connections handed to the gRPC server, by path: direct (the socket), rewritten (:authority with a scheme, as etcdctl --cluster sends), undecided (no complete first request within the bounds).',
      labelNames: ['path'], registers: [this.metrics.registry],
    });
    const sizes = new WeakMap<object, number>();
    const clusterId = options.clusterId ?? 0n;
    const memberId = String(this.replica.id);
    this.ctx = {
      replica: this.replica,
      clusterId,
      maxRequestBytes,
      maxTxnOps,
      leaderLossMs: 3 * electionMs,
      leader: () => this.leaderId,
      grpc: this.metrics.grpc,
      header: (revision = options.kv?.stateMachine.store.visibleRev ?? 0): WireHeader => ({ clusterId: String(clusterId), memberId, revision: String(revision), raftTerm: String(this.replica.currentTerm) }),
      requestBytes: (req) => sizes.get(req),
    };
    // Channelz (grpc-js's per-call introspection, which nothing here reads) off: it costs every call.
    const maxReceiveBytes = maxRequestBytes + GRPC_OVERHEAD_BYTES;
    this.grpc = new Server({
      'grpc.max_receive_message_length': maxReceiveBytes, 'grpc.max_send_message_length': MAX_SEND_BYTES, 'grpc.enable_channelz': 0,
      ...connection,
    });
    this.unaryPath = new UnaryPath(maxReceiveBytes);
    this.unaryPath.plainHttp = this.serveHttp2;
    const pings = new PingPolicy(positive('keepaliveMinTimeMs', options.keepaliveMinTimeMs ?? 5000));
    this.unaryPath.onSession = (session) => pings.watch(session);
    let defs = etcdServices();
    const add = (name: keyof EtcdServices | 'grpc.health.v1.Health', impl: UntypedServiceImplementation): void => {
      // Only the handlers that check a request's size (KV's writes) have it recorded.
      const record = (req: object, bytes: number): WeakMap<object, number> => sizes.set(req, bytes);
      const [service, plain] = name === 'grpc.health.v1.Health' ? [name, healthServiceDefinition()] : [`etcdserverpb.${name}`, defs[name]];
      const def: ServiceDefinition = this.metrics.grpc.instrument(service, plain, (method) => (name === 'KV' && SIZE_CHECKED.has(method) ? record : undefined));
      this.grpc.addService(def, impl);
      // Unary methods are answered on their HTTP/2 streams (unary-path.ts); a method without a handler stays grpc-js's.
      for (const [method, d] of Object.entries(def)) {
        const handler = impl[method];
        if (typeof handler !== 'function') continue;
        if (d.requestStream || d.responseStream) {
          // The JSON gateway runs it with a call of its own (json-gateway-stream.ts).
          this.streamRoutes.set(d.path, { deserialize: d.requestDeserialize, serialize: d.responseSerialize, handler: handler as StreamRoute['handler'], clientStreams: d.requestStream });
          continue;
        }
        this.unaryPath.add(d.path, { deserialize: d.requestDeserialize, serialize: d.responseSerialize, handler: handler as UnaryHandler<unknown, unknown> });
      }
    };
    const members = options.members ?? new Map<number, MemberInfo>();
    const token = options.clusterToken ?? 'etcd-cluster';
    if (options.kv !== undefined) defs = withResponseCodecs(defs);
    add('KV', options.kv === undefined ? this.needsKv('KV', defs.KV) : kvService(this.ctx, options.kv));
    add('Watch', options.kv === undefined ? this.needsKv('Watch', defs.Watch) : watchService(this.ctx, options.kv));
    add('Lease', options.kv === undefined ? this.needsKv('Lease', defs.Lease) : leaseService(this.ctx, options.kv));
    add('Cluster', clusterService(this.ctx, {
      kv: options.kv,
      memberId: (urls) => memberIdFor(urls, token),
      info: (id) => (id === this.replica.id ? { name: options.name ?? 'default', clientUrls: options.advertiseClientUrls ?? this.urls } : members.get(id)),
      peerScheme: options.peerScheme ?? 'http',
      maxLearners,
    }));
    add('Maintenance', maintenanceService(this.ctx, options.snapshots, options.kv));
    add('Auth', authService(this.ctx));
    add('grpc.health.v1.Health', healthService(this.ctx));
  }

  /** Every RPC of `service` answering `UNIMPLEMENTED`: its backing (raftkit/kv) is not given or not served by this build yet. */
  private needsKv(service: string, def: ServiceDefinition): UntypedServiceImplementation {
    const out: UntypedServiceImplementation = {};
    for (const [method, d] of Object.entries(def)) {
      const type = d.requestStream ? 'bidi_stream' : d.responseStream ? 'server_stream' : 'unary';
      out[method] = unimplemented(this.ctx, `etcdserverpb.${service}`, method, type, `raftkit: etcdserverpb.${service}/${method} needs raftkit/kv (EtcdServerOptions.kv), which is not served here`);
    }
    return out;
  }

  /** The client URLs listened on (with the ports the OS picked for port 0). */
  get clientUrls(): readonly string[] {
    return this.urls;
  }

  /**
   * Serves gRPC on `url` (`http://host:port`, or `https://host:port` with `tls`; port 0 picks a
   * free one). Resolves with the URL listened on.
   */
  async listen(url: string): Promise<string> {
    if (this.closed) throw new ConfigInvalidError('EtcdServer is closed');
    this.injector ??= UnaryPath.attach(this.grpc, this.unaryPath, () => this.grpc.createConnectionInjector(ServerCredentials.createInsecure())).value;
    const injector = this.injector;
    const onHttp1 = this.options.grpcOnly === true ? {} : { onHttp1: this.serveHttp1 };
    const actual = await this.bind(url, ['h2', 'http/1.1'], (socket) => {
      // Small gRPC frames must not wait for Nagle's algorithm (≈40 ms with delayed ACKs).
      socket.setNoDelay(true);
      admitConnection(socket, {
        inject: (connection) => {
          injector.injectConnection(connection);
        },
        onRefused: (reason) => this.http2Refused.inc({ reason }),
        onAdmitted: (path) => this.admitted.inc({ path }),
        ...onHttp1,
      });
    });
    this.urls.push(actual);
    return actual;
  }

  /**
   * Serves the client HTTP only on `url` (etcd's `--listen-client-http-urls`): HTTP/1 (over TLS
   * with `tls`, as {@link EtcdServer.listen}'s for `https://`), with the JSON gateway and its
   * websockets, and etcd's HTTP endpoints (`/health`, `/livez`, `/readyz`, `/version`,
   * `/metrics`). Resolves with the URL listened on. See `grpcOnly`.
   */
  listenHttp(url: string): Promise<string> {
    if (this.closed) throw new ConfigInvalidError('EtcdServer is closed');
    return this.bind(url, ['http/1.1'], this.serveHttp1);
  }

  /** Listens on `url` (TLS for `https://`, offering `alpn`), handing each connection to `onConnection`; resolves with the URL listened on. */
  private async bind(url: string, alpn: string[], onConnection: (socket: net.Socket) => void): Promise<string> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigInvalidError(`listen URL must be http:// or https://, got '${url}'`);
    const secure = u.protocol === 'https:';
    const tlsOpts = this.options.tls;
    if (secure && tlsOpts === undefined) throw new ConfigInvalidError(`https listen URL '${url}' needs tls (--cert-file and --key-file)`);
    const onSocket = (socket: net.Socket): void => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      onConnection(socket);
    };
    let server: net.Server;
    if (secure && tlsOpts !== undefined) {
      server = createClientTlsServer(tlsOpts, alpn, onSocket, (reason) => this.refused.inc({ reason }));
    } else {
      server = net.createServer(onSocket);
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenOptions(host, Number(u.port || (secure ? 443 : 80)), this.options.reusePort), () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listeners.push(server);
    return `${u.protocol}//${u.hostname}:${(server.address() as net.AddressInfo).port}`;
  }

  /** The answerer of HTTP requests to the client URLs, HTTP/1 and HTTP/2 alike (made at the first). */
  private httpAnswerer: ReturnType<EtcdServer['makeHttpHandler']> | undefined;

  private httpHandler(): ReturnType<EtcdServer['makeHttpHandler']> {
    return (this.httpAnswerer ??= this.makeHttpHandler());
  }

  /** Answers an HTTP request to a client URL, as etcd's do: the JSON gateway under `/v3/`, else etcd's HTTP endpoints. */
  private makeHttpHandler(): (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void {
    const endpoints = httpEndpointsHandler(this.endpoints);
    const access = this.access;
    const routes: GatewayRoutes = { unary: (path) => this.unaryPath.route(path), stream: (path) => this.streamRoutes.get(path) };
    return (req, res) => {
      // node:http2's compatibility objects take the calls the handlers make on node:http's.
      const [q, r] = [req as http.IncomingMessage, res as http.ServerResponse];
      // etcd's access controller first (host whitelist on plain text, CORS, OPTIONS), then the gateway or its endpoints.
      if (controlAccess(access, q, r, isSecure(q))) return;
      if (this.options.jsonGateway === false || !serveJsonGateway(q, r, routes)) endpoints(q, r);
    };
  }

  /**
   * Answers an HTTP/2 request that is not gRPC on a client connection, as etcd does: over TLS with
   * its HTTP handlers (through node:http2's compatibility API); over plain text, or with
   * `grpcOnly`, it resets the stream with PROTOCOL_ERROR, as etcd's gRPC server (which takes all
   * of h2c there) does.
   */
  private readonly serveHttp2 = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: unknown, rawHeaders: unknown): void => {
    if (stream.session?.encrypted !== true || this.options.grpcOnly === true) {
      // A stream closed with an error code emits it: without a listener it would be thrown.
      stream.on('error', () => undefined);
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    if (this.http2Compat === undefined) {
      this.http2Compat = http2.createServer();
      this.http2Compat.on('request', this.httpHandler());
    }
    // The compatibility server makes its request and response from the stream, as for its own sessions.
    this.http2Compat.emit('stream', stream, headers, flags, rawHeaders);
  };

  /** Answers a client connection that speaks HTTP/1, as etcd's client URLs do. */
  private readonly serveHttp1 = (socket: net.Socket): void => {
    if (this.http1 === undefined) {
      this.http1 = http.createServer(this.httpHandler());
      // etcd's websocket proxy of the gateway (a stopping server destroys these sockets with the others).
      if (this.options.jsonGateway !== false) {
        // A plain-text upgrade to a host not whitelisted is refused before it is upgraded, as etcd's.
        const ws = new GatewayWebsocket(this.httpHandler(), (req) => hostAllowed(this.access, req, isSecure(req)));
        this.http1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => ws.upgrade(req, socket, head));
      }
    }
    this.http1.emit('connection', socket);
    // The door paused the socket; the octets it read are in its buffer, delivered once it flows.
    socket.resume();
  };

  /** Client connections refused so far: during the TLS handshake, or for malformed HTTP/2 before any request ran. */
  async refusedConnections(): Promise<number> {
    const sum = async (c: Counter): Promise<number> => (await c.get()).values.reduce((n, v) => n + v.value, 0);
    return (await sum(this.refused)) + (await sum(this.http2Refused));
  }

  /** Client connections handed to the gRPC server so far, by how (see `raftkit_client_http2_connections_total`). */
  async admittedConnections(): Promise<Record<'direct' | 'rewritten' | 'undecided', number>> {
    const out = { direct: 0, rewritten: 0, undecided: 0 };
    for (const v of (await this.admitted.get()).values) {
      const path = v.labels.path;
      if (path === 'direct' || path === 'rewritten' || path === 'undecided') out[path] += v.value;
    }
    return out;
  }

  /** Stops the listeners and ends open calls and connections. Idempotent; the replica keeps running. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replica.off('leader-change', this.onLeader);
    const closed = Promise.all(this.listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.grpc.forceShutdown();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Same as {@link EtcdServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
