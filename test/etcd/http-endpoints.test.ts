import * as net from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EndpointAnswerer, EndpointQuestioner, NOT_STARTED } from '../../src/etcd/cli/endpoint-bridge.js';
import { memberEndpoints, serveHttpEndpoints, type Health, type HttpEndpointSource } from '../../src/etcd/http.js';
import { ETCD_API_VERSION, RAFTKIT_VERSION } from '../../src/etcd/version.js';
import { RaftkitError } from '../../src/errors.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { Replica } from '../../src/replica/replica.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { startKvCluster, until, type KvCluster } from './helpers.js';

// etcd's HTTP endpoints: what a member answers (memberEndpoints), and how the `raftkit` command
// serves them from its main thread with the answers from the member's thread (endpoint-bridge.ts).

let c: KvCluster;
beforeAll(async () => {
  c = await startKvCluster([1, 2, 3]);
});
afterAll(() => c.close());

/** The member source of the cluster's leader, with `alarms`. */
async function leaderSource(alarms: readonly string[] = []): Promise<HttpEndpointSource> {
  const leader = await c.leader();
  return memberEndpoints({ replica: leader, metrics: c.servers.get(leader.id)!.metrics, alarms: () => alarms });
}

describe('memberEndpoints: /health as etcd judges it', () => {
  test('healthy with a leader and a linearizable read; its metrics are the server\'s Prometheus text', async () => {
    const s = await leaderSource();
    expect(await s.health()).toEqual({ health: 'true', reason: '' });
    expect(await s.metrics()).toMatch(/^etcd_server_has_leader 1$/m);
  });

  test('an active alarm makes it unhealthy (the first, as etcd reports it), unless the query excludes it', async () => {
    expect(await (await leaderSource(['NOSPACE'])).health()).toEqual({ health: 'false', reason: 'ALARM NOSPACE' });
    expect(await (await leaderSource(['NOSPACE', 'CORRUPT'])).health()).toEqual({ health: 'false', reason: 'ALARM NOSPACE' });
    // Kubernetes' liveness probe: /health?exclude=NOSPACE.
    expect(await (await leaderSource(['NOSPACE'])).health({ exclude: ['NOSPACE'] })).toEqual({ health: 'true', reason: '' });
    expect(await (await leaderSource(['NOSPACE', 'CORRUPT'])).health({ exclude: ['NOSPACE'] })).toEqual({ health: 'false', reason: 'ALARM CORRUPT' });
  });

  test('each answer is counted in etcd_server_health_success or etcd_server_health_failures, as etcd counts them', async () => {
    const counts = async (): Promise<[number, number]> => {
      const text = await (await leaderSource()).metrics();
      return [Number(/^etcd_server_health_success (\d+)$/m.exec(text)![1]), Number(/^etcd_server_health_failures (\d+)$/m.exec(text)![1])];
    };
    const [ok, failed] = await counts();
    await (await leaderSource()).health();
    await (await leaderSource()).health();
    await (await leaderSource(['NOSPACE'])).health();
    expect(await counts()).toEqual([ok + 2, failed + 1]);
  });

  test('a member that has never seen a leader: RAFT NO LEADER, but healthy alone (serializable)', async () => {
    const network = new InProcessNetwork();
    // Member 2 never starts, so member 1 can never win an election.
    const lone = await Replica.start({
      id: 1, peers: [{ id: 1, address: 'inproc://1' }, { id: 2, address: 'inproc://2' }], storage: new MemoryStorage(),
      transport: network.transport(1), stateMachine: new KvStateMachine({ electionMs: 100 }), tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: 1,
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const s = memberEndpoints({ replica: lone, metrics: c.servers.get(1)!.metrics });
      expect(await s.health()).toEqual({ health: 'false', reason: 'RAFT NO LEADER' });
      // serializable=true judges the member alone (a liveness probe must not restart a member cut off from its leader).
      expect(await s.health({ serializable: true })).toEqual({ health: 'true', reason: '' });
      expect(await s.probe('serializable_read')).toBeUndefined();
    } finally {
      await lone.stop();
      network.close();
    }
  });

  test('a leader cut off from its followers cannot confirm a read: unhealthy', async () => {
    const leader = await c.leader();
    const s = memberEndpoints({ replica: leader, metrics: c.servers.get(leader.id)!.metrics, healthTimeoutMs: 50 });
    c.network.isolate(leader.id);
    try {
      const h = await s.health();
      expect(h.health).toBe('false');
      // The read times out, or the leader has already stepped down (CheckQuorum) and knows no leader.
      expect(h.reason).toMatch(/^(QGET ERROR: .+|RAFT NO LEADER)$/);
    } finally {
      c.network.heal();
    }
    await c.leader();
  });
});

/** A probe check that passes. */
const passes = (): Promise<undefined> => Promise.resolve(undefined);

/** A bridge over a fresh channel: the member thread's answerer and the main thread's questioner. */
function bridge(): { answerer: EndpointAnswerer; questioner: EndpointQuestioner } {
  const ch = new MessageChannel();
  return { answerer: new EndpointAnswerer(ch.port2), questioner: new EndpointQuestioner(ch.port1) };
}

/** What `p` rejects with. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

describe('the endpoint bridge between the command\'s threads', () => {
  test('while the member starts: /health is NOT STARTED and /metrics is refused; then the member\'s answers', async () => {
    const { answerer, questioner } = bridge();
    expect(await questioner.health()).toEqual(NOT_STARTED);
    const e = await rejection(questioner.metrics());
    expect(e).toBeInstanceOf(RaftkitError);
    expect(e).toMatchObject({ code: 'ERR_UNAVAILABLE', message: 'the member is starting' });
    answerer.serve(await leaderSource());
    expect(await questioner.health()).toEqual({ health: 'true', reason: '' });
    expect(await questioner.metrics()).toMatch(/^etcd_server_has_leader 1$/m);
    answerer.close();
    questioner.close();
  });

  test('many questions at once each get their own answer', async () => {
    const { answerer, questioner } = bridge();
    let n = 0;
    answerer.serve({ metrics: () => Promise.resolve('m'), health: () => Promise.resolve({ health: 'false', reason: `r${String(++n)}` }), probe: passes });
    const got = await Promise.all(Array.from({ length: 50 }, () => questioner.health()));
    expect(got.map((h) => h.reason).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `r${String(i + 1)}`).sort());
    answerer.close();
    questioner.close();
  });

  test('scrapes that arrive while one is answered share its answer: the member renders its metrics once per burst', async () => {
    const { answerer, questioner } = bridge();
    let renders = 0;
    let release!: () => void;
    answerer.serve({
      metrics: () => new Promise<string>((r) => {
        renders++;
        release = () => r(`text ${String(renders)}`);
      }),
      health: () => Promise.resolve({ health: 'true', reason: '' }),
      probe: passes,
    });
    const burst = Array.from({ length: 10 }, () => questioner.metrics());
    await until(() => renders === 1, 'the burst reaching the member');
    release();
    expect(await Promise.all(burst)).toEqual(Array.from({ length: 10 }, () => 'text 1'));
    expect(renders).toBe(1);
    // A scrape after the burst was answered gets a fresh rendering.
    const next = questioner.metrics();
    await until(() => renders === 2, 'the next scrape reaching the member');
    release();
    expect(await next).toBe('text 2');
    expect(renders).toBe(2);
    answerer.close();
    questioner.close();
  });

  test('a failing source reaches the main thread as ERR_UNAVAILABLE with its message', async () => {
    const { answerer, questioner } = bridge();
    answerer.serve({ metrics: () => Promise.reject(new Error('registry broke')), health: () => Promise.reject(new Error('read broke')), probe: passes });
    expect(await rejection(questioner.metrics())).toMatchObject({ code: 'ERR_UNAVAILABLE', message: 'registry broke' });
    expect(await rejection(questioner.health())).toMatchObject({ code: 'ERR_UNAVAILABLE', message: 'read broke' });
    answerer.close();
    questioner.close();
  });

  test('when the member\'s thread goes, pending and later questions fail instead of hanging', async () => {
    const { answerer, questioner } = bridge();
    let release: ((h: Health) => void) | undefined;
    answerer.serve({ metrics: () => Promise.resolve(''), health: () => new Promise<Health>((r) => (release = r)), probe: passes });
    const pending = questioner.health();
    await until(() => release !== undefined, 'the question reaching the member');
    answerer.close();
    expect(await rejection(pending)).toMatchObject({ code: 'ERR_UNAVAILABLE', message: 'the member has stopped' });
    expect(await rejection(questioner.metrics())).toMatchObject({ code: 'ERR_UNAVAILABLE', message: 'the member has stopped' });
    release?.({ health: 'true', reason: '' });
  });
});

describe('serveHttpEndpoints over HTTP', () => {
  test('/metrics, /health, /version and 404, answered through the bridge; 503 while the member starts', async () => {
    const { answerer, questioner } = bridge();
    const { server, url } = await serveHttpEndpoints('http://127.0.0.1:0', questioner);
    try {
      const starting = await fetch(`${url}/health`);
      expect(starting.status).toBe(503);
      expect(await starting.json()).toEqual(NOT_STARTED);
      const noMetrics = await fetch(`${url}/metrics`);
      expect(noMetrics.status).toBe(503);
      expect(await noMetrics.json()).toEqual({ error: 'the member is starting' });
      answerer.serve(await leaderSource());
      const m = await fetch(`${url}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await m.text()).toMatch(/^etcd_server_has_leader 1$/m);
      const h = await fetch(`${url}/health?serializable=false`);
      expect(h.status).toBe(200);
      expect(await h.json()).toEqual({ health: 'true', reason: '' });
      expect(await (await fetch(`${url}/version`)).json()).toEqual({ etcdserver: ETCD_API_VERSION, etcdcluster: '3.5.0', raftkit: RAFTKIT_VERSION });
      expect((await fetch(`${url}/v2/keys`)).status).toBe(404);
      answerer.serve(await leaderSource(['NOSPACE']));
      const alarmed = await fetch(`${url}/health`);
      expect(alarmed.status).toBe(503);
      expect(await alarmed.json()).toEqual({ health: 'false', reason: 'ALARM NOSPACE' });
      answerer.close();
      const gone = await fetch(`${url}/health`);
      expect(gone.status).toBe(503);
      expect(await gone.json()).toEqual({ health: 'false', reason: 'the member has stopped' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('an https URL without a certificate is refused with a typed error', async () => {
    const { questioner } = bridge();
    await expect(serveHttpEndpoints('https://127.0.0.1:0', questioner)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    questioner.close();
  });
});

describe('/livez, /readyz and the health endpoints\' methods, as etcd 3.5 answers them', () => {
  test('ok, verbose, one check, exclude, a failed check, GET only, unknown checks', async () => {
    const { answerer, questioner } = bridge();
    const { server, url } = await serveHttpEndpoints('http://127.0.0.1:0', questioner);
    const get = async (path: string, method = 'GET'): Promise<[number, string, string | null]> => {
      const r = await fetch(`${url}${path}`, { method });
      return [r.status, await r.text(), r.headers.get('content-type')];
    };
    try {
      // While the member starts, its checks fail.
      expect(await get('/livez')).toEqual([503, '[-]serializable_read failed: the member is starting\n\n', 'text/plain; charset=utf-8']);
      answerer.serve(await leaderSource(['CORRUPT']));
      expect(await get('/livez')).toEqual([200, 'ok\n', 'text/plain; charset=utf-8']);
      expect(await get('/livez?verbose')).toEqual([200, '[+]serializable_read ok\nok\n', 'text/plain; charset=utf-8']);
      expect(await get('/livez/serializable_read')).toEqual([200, 'ok\n', 'text/plain; charset=utf-8']);
      expect(await get('/readyz')).toEqual([503, '[-]data_corruption failed: alarm activated: CORRUPT\n[+]serializable_read ok\n\n', 'text/plain; charset=utf-8']);
      expect(await get('/readyz/data_corruption')).toEqual([503, '[-]data_corruption failed: alarm activated: CORRUPT\n\n', 'text/plain; charset=utf-8']);
      expect(await get('/readyz?exclude=data_corruption&verbose')).toEqual([200, '[+]serializable_read ok\nok\n', 'text/plain; charset=utf-8']);
      expect((await get('/livez/data_corruption'))[0]).toBe(404);
      for (const path of ['/livez', '/readyz', '/health', '/version']) expect(await get(path, 'POST')).toEqual([405, 'Method Not Allowed\n', 'text/plain; charset=utf-8']);
      // /health's query: the alarm excluded, and a 503 with etcd's body otherwise.
      expect(await get('/health?exclude=CORRUPT')).toEqual([200, '{"health":"true","reason":""}', 'text/plain; charset=utf-8']);
      expect(await get('/health')).toEqual([503, '{"health":"false","reason":"ALARM CORRUPT"}\n', 'text/plain; charset=utf-8']);
    } finally {
      answerer.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('hostile request targets', () => {
  /** Sends `request` raw over a new connection to `url`; the answer's status line. */
  const raw = (url: string, request: string): Promise<string> => new Promise((resolve) => {
    const u = new URL(url);
    const socket = net.connect(Number(u.port), u.hostname, () => socket.write(request));
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(out.split('\r\n')[0] ?? ''));
    socket.on('error', () => undefined);
  });

  test('a target no URL parser takes (GET //[) gets 400, on the metrics URL and on a client URL, and both keep serving', async () => {
    const { answerer, questioner } = bridge();
    const { server, url } = await serveHttpEndpoints('http://127.0.0.1:0', questioner);
    answerer.serve(await leaderSource());
    try {
      for (const target of [url, c.urls.get(1)!]) {
        expect(await raw(target, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
        expect(await raw(target, 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
        expect((await fetch(new URL('/health', target))).status).toBe(200);
      }
    } finally {
      answerer.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
