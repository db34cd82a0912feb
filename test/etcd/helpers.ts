import { execFile } from 'node:child_process';
import * as http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { credentials, loadPackageDefinition, makeGenericClientConstructor, Metadata, type ChannelCredentials, type ChannelOptions, type ServiceError, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { PROTO_LOADER_OPTIONS, protoDir } from '../../src/etcd/proto.js';

/** The result of one etcdctl run: exit code, stdout, stderr. */
export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `etcdctl` (ETCDCTL_API=3) with `args` against `endpoints`. */
export function etcdctl(endpoints: readonly string[], args: readonly string[], extraEnv: Record<string, string> = {}, input?: string): Promise<CtlResult> {
  return new Promise((resolve) => {
    const child = execFile('etcdctl', [`--endpoints=${endpoints.join(',')}`, '--command-timeout=5s', '--dial-timeout=3s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3', ...extraEnv }, timeout: 20_000,
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
    // The command's standard input (`etcdctl txn`), or none.
    child.stdin?.end(input);
  });
}

/** etcdctl's output with what differs from run to run replaced: the endpoint, and its client log lines' times and client ids. */
export function ctlRunNormalized(out: string, endpoint: string): string {
  return out
    .replaceAll(endpoint, '<endpoint>')
    .replace(/"ts":"[^"]+"/g, '"ts":<t>')
    .replace(/client-[0-9a-f-]{36}/g, 'client-<uuid>');
}

/** Parses etcdctl's `-w table` output into one record per row, keyed by the column headers. */
export function parseTable(stdout: string): Record<string, string>[] {
  const lines = stdout.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim());
  const [head, ...rows] = lines.map(cells);
  return rows.map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i] ?? ''])));
}

/**
 * A raw gRPC client of one etcd service, for calls etcdctl cannot make. `onMessage`, when given,
 * sees the encoded size of every request it sends and every response it receives.
 */
export function rawClient(
  service: 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth', url: string, options: ChannelOptions = {},
  onMessage?: (kind: 'request' | 'response', bytes: number) => void, creds: ChannelCredentials = credentials.createInsecure(),
): InstanceType<ServiceClientConstructor> {
  const dir = protoDir();
  const def = loadSync(join(dir, 'rpc.proto'), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const pkg = (loadPackageDefinition(def) as Record<string, GrpcObject>).etcdserverpb!;
  let Ctor = pkg[service] as ServiceClientConstructor;
  if (onMessage !== undefined) {
    const sized = Object.fromEntries(Object.entries(Ctor.service).map(([method, d]) => [method, {
      ...d,
      requestSerialize: (v: unknown): Buffer => {
        const b = d.requestSerialize(v);
        onMessage('request', b.length);
        return b;
      },
      responseDeserialize: (b: Buffer): unknown => {
        onMessage('response', b.length);
        return d.responseDeserialize(b);
      },
    }]));
    Ctor = makeGenericClientConstructor(sized, service);
  }
  return new Ctor(new URL(url).host, creds, options);
}

/**
 * Registers, for the calling test file, a 3-member cluster (replicas' `requestTimeoutMs` 10
 * minutes) of which only one follower is left running, so its requests wait for a leader until
 * something else ends them; the returned object holds the cluster and the follower's id once
 * `beforeAll` has run.
 */
export function useLoneFollower(): { c: KvCluster; follower: number } {
  const lone = { follower: 0 } as { c: KvCluster; follower: number };
  beforeAll(async () => {
    lone.c = await startKvCluster([1, 2, 3], {}, undefined, undefined, { requestTimeoutMs: 600_000 });
    const leader = await lone.c.leader();
    lone.follower = [...lone.c.replicas.keys()].find((id) => id !== leader.id)!;
    for (const [id, r] of lone.c.replicas) if (id !== lone.follower) await r.stop();
  });
  afterAll(async () => {
    await lone.c.close();
  });
  return lone;
}

/** Resolves once `cond()` holds (checked every 10 ms), failing with `what` after `ms` of wall time. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with `f()`'s first value other than `undefined` (tried every 100 ms), failing with `what` after `ms` of wall time. */
export async function untilValue<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Calls a unary method; resolves with the response or the gRPC error. */
export function callUnary(client: InstanceType<ServiceClientConstructor>, method: string, req: object, metadata = new Metadata()): Promise<{ res?: Record<string, unknown>; err?: ServiceError }> {
  return new Promise((resolve) => {
    (client[method] as (r: object, m: Metadata, cb: (e: ServiceError | null, r: Record<string, unknown>) => void) => void)(req, metadata, (e, r) => {
      resolve(e === null ? { res: r } : { err: e });
    });
  });
}

import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { EtcdServer, type EtcdServerOptions } from '../../src/etcd/server.js';

/** An in-process cluster of KV replicas, each served by an EtcdServer on loopback. */
export interface KvCluster {
  replicas: Map<number, Replica>;
  clients: Map<number, KvClient>;
  servers: Map<number, EtcdServer>;
  urls: Map<number, string>;
  /** The members' network (to partition them). */
  network: InProcessNetwork;
  /** host:port of every member (etcdctl endpoints). */
  endpoints(): string[];
  leader(): Promise<Replica>;
  close(): Promise<void>;
}

/**
 * Starts `ids` (10 ms ticks) with KvStateMachines in memory (or `stateMachine(id)`'s) and an
 * EtcdServer each. `requestTimeoutMs` is the replicas' (default 2000 ms, 20 election timeouts);
 * `tickMs` their tick (default 10 ms: an election timeout of 100 ms); `healthIntervalMs` theirs (default 0); `snapshotEvery` theirs.
 */
export async function startKvCluster(
  ids: number[], serverOptions: Partial<EtcdServerOptions> | ((replica: Replica, kv: KvClient) => Partial<EtcdServerOptions>) = {}, quotaBackendBytes?: number, stateMachine: (id: number) => KvStateMachine = () => new KvStateMachine({ electionMs: 100 }),
  replicaOptions: { requestTimeoutMs?: number; tickMs?: number; healthIntervalMs?: number; snapshotEvery?: number } = {},
): Promise<KvCluster> {
  const network = new InProcessNetwork();
  const peers = ids.map((id) => ({ id, address: `inproc://${id}` }));
  const replicas = new Map<number, Replica>();
  await Promise.all(ids.map(async (id) => {
    replicas.set(id, await Replica.start({
      id, peers, storage: new MemoryStorage(), transport: network.transport(id), stateMachine: stateMachine(id),
      tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: id, ...replicaOptions,
    }));
  }));
  const clients = new Map<number, KvClient>();
  const servers = new Map<number, EtcdServer>();
  const urls = new Map<number, string>();
  for (const [id, replica] of replicas) {
    const kv = new KvClient(replica, { clusterId: 77n, ...(quotaBackendBytes === undefined ? {} : { quotaBackendBytes }) });
    clients.set(id, kv);
    const s = new EtcdServer({ replica, kv, clusterId: 77n, name: `m${id}`, electionTimeoutMs: 100, ...(typeof serverOptions === 'function' ? serverOptions(replica, kv) : serverOptions) });
    servers.set(id, s);
    urls.set(id, await s.listen('http://127.0.0.1:0'));
  }
  const leader = async (): Promise<Replica> => {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const l = [...replicas.values()].find((r) => r.lifecycle === 'open' && r.status().role === StateType.Leader);
      if (l !== undefined && [...replicas.values()].every((r) => r.lifecycle !== 'open' || r.status().leader === l.id)) return l;
      if (performance.now() > deadline) throw new Error('no leader');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await leader();
  return {
    replicas, clients, servers, urls, network, leader,
    endpoints: () => [...urls.values()].map((u) => new URL(u).host),
    async close() {
      await Promise.all([...servers.values()].map((s) => s.close()));
      await Promise.all([...replicas.values()].map((r) => r.stop()));
      network.close();
    },
  };
}

/** An answer to a gateway POST as it streams in. */
export interface Streamed {
  status: number;
  contentType: string;
  body: string;
  /** Resolves when the answer has ended (or was aborted). */
  ended: Promise<void>;
  abort(): void;
}

/** POSTs `body` to `path` on `url` (etcd's JSON gateway): the answer as it streams in. */
export async function gatewayPost(url: string, path: string, body: string): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let end!: () => void;
      const out: Streamed = { status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: '', ended: new Promise((r) => (end = r)), abort: () => req.destroy() };
      res.setEncoding('utf8');
      res.on('data', (c: string) => (out.body += c));
      res.on('end', end);
      res.on('close', end);
      resolve(out);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Maintenance.Status over TLS on `url`, trusting `ca` (PEM) and presenting `client` (PEM key and
 * certificate) if given: the version served, or the error.
 */
export function tlsStatus(url: string, ca: string, client?: { key: string; cert: string }): Promise<{ version?: string; err?: ServiceError }> {
  const creds = credentials.createSsl(Buffer.from(ca), client === undefined ? null : Buffer.from(client.key), client === undefined ? null : Buffer.from(client.cert));
  const c = rawClient('Maintenance', url, {}, undefined, creds);
  return new Promise((resolve) => {
    c.Status!({}, { deadline: Date.now() + 5000 }, (err: ServiceError | null, res: { version: string }) => {
      c.close();
      resolve(err === null ? { version: res.version } : { err });
    });
  });
}
