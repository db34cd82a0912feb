import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { ETCD_API_VERSION } from '../../src/etcd/version.js';
import { differentialPair } from './differential-pair.js';
import { createEtcdPki } from './pki.js';
import { startKvCluster, until } from './helpers.js';

// etcd answers HTTP/1 on its client URLs beside gRPC: `curl http://127.0.0.1:2379/health` (its
// quick start), `/version` and `/metrics`. The same requests go to a real etcd 3.4 and to raftkit.
const pair = differentialPair();

interface Answer { status: number; type: string; cors: string; body: string }

function get(url: string, path: string, agent?: https.Agent): Promise<Answer> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    lib.get(`${url}${path}`, agent === undefined ? {} : { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), cors: String(res.headers['access-control-allow-origin']), body }));
    }).on('error', reject);
  });
}

test('/health, /version, /metrics and an unknown path over HTTP/1 on the client URL, as etcd answers them', async () => {
  for (const url of [pair.etcd.url, pair.raftkitUrl]) {
    const side = { health: await get(url, '/health'), version: await get(url, '/version'), metrics: await get(url, '/metrics'), nope: await get(url, '/nope') };
    expect(side.health.status).toBe(200);
    expect(JSON.parse(side.health.body)).toMatchObject({ health: 'true' });
    expect(side.version.status).toBe(200);
    expect(side.version.type).toBe('application/json');
    expect(Object.keys(JSON.parse(side.version.body) as object)).toEqual(expect.arrayContaining(['etcdserver', 'etcdcluster']));
    expect(side.metrics.status).toBe(200);
    expect(side.metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(side.metrics.body).toMatch(/^etcd_server_has_leader 1$/m);
    expect(side.nope.status).toBe(404);
    for (const a of Object.values(side)) expect(a.cors).toBe('*');
  }
  // gRPC still works on the same port.
  const kv = pair.raftkit.clients.get(1)!;
  expect((await kv.put('after-http', 'x')).header.revision).toBeGreaterThan(0);
});

/** GETs or POSTs `path` over HTTP/2 on a TLS URL, as curl does over https (it negotiates h2). */
async function h2Request(url: string, ca: Buffer, path: string, body?: string): Promise<Answer> {
  const session = http2.connect(url, { ca });
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const req = session.request({ ':path': path, ':method': body === undefined ? 'GET' : 'POST', ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
      let head: http2.IncomingHttpHeaders = {};
      let text = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (head = h));
      req.on('data', (d: string) => (text += d));
      req.on('end', () => resolve({ status: Number(head[':status']), type: String(head['content-type']), cors: String(head['access-control-allow-origin']), body: text }));
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    session.close();
  }
}

test('HTTP/2 that is not gRPC on a plain-text client URL is refused as etcd refuses it (its gRPC server takes all of h2c)', async () => {
  const statuses = await Promise.all([pair.etcd.url, pair.raftkitUrl].map(async (url) => {
    const session = http2.connect(url);
    try {
      return await new Promise<string>((resolve) => {
        session.on('error', () => undefined);
        const req = session.request({ ':path': '/health' });
        req.on('response', (h) => resolve(`status ${String(h[':status'])}`));
        req.on('error', (e: Error & { code?: string }) => resolve(`${e.code ?? ''} ${e.message}`));
        req.resume();
        req.end();
      });
    } finally {
      session.close();
    }
  }));
  expect(statuses[1]).toBe(statuses[0]);
  expect(statuses[0]).toMatch(/PROTOCOL_ERROR/);
});

test('over TLS, HTTP/1.1 clients, websockets (wss) and HTTP/2 clients that are not gRPC (curl over https) get the endpoints and the gateway; gRPC clients still get gRPC', async () => {
  const pki = createEtcdPki(['ca']);
  const server = pki.issue('server');
  const c = await startKvCluster([1], { tls: { cert: readFileSync(server.certFile), key: readFileSync(server.keyFile) } });
  try {
    const url = await c.servers.get(1)!.listen('https://127.0.0.1:0');
    const agent = new https.Agent({ ca: readFileSync(pki.ca.ca!.file), ALPNProtocols: ['http/1.1'] });
    const health = await get(url, '/health', agent);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ health: 'true' });
    expect((await get(url, '/version', agent)).status).toBe(200);
    // HTTP/2 without gRPC's content type: etcd's HTTP handlers answer it beside gRPC.
    const ca = readFileSync(pki.ca.ca!.file);
    const h2Health = await h2Request(url, ca, '/health');
    expect(h2Health).toMatchObject({ status: 200, cors: '*' });
    expect(JSON.parse(h2Health.body)).toMatchObject({ health: 'true' });
    expect((await h2Request(url, ca, '/nope')).status).toBe(404);
    await c.clients.get(1)!.put('over-h2', 'v');
    const range = await h2Request(url, ca, '/v3/kv/range', JSON.stringify({ key: Buffer.from('over-h2').toString('base64') }));
    expect(range.status).toBe(200);
    expect((JSON.parse(range.body) as { kvs: { value: string }[] }).kvs[0]!.value).toBe(Buffer.from('v').toString('base64'));
    // A gateway watch over HTTP/2: its created line, an event, and the watcher gone with the stream.
    const session = http2.connect(url, { ca });
    const watch = session.request({ ':path': '/v3/watch', ':method': 'POST' });
    let lines = '';
    watch.setEncoding('utf8');
    watch.on('data', (d: string) => (lines += d));
    watch.end(JSON.stringify({ create_request: { key: Buffer.from('over-h2').toString('base64') } }));
    await until(() => lines.includes('"created":true'), 'the created line');
    await c.clients.get(1)!.put('over-h2', 'w');
    await until(() => lines.includes(Buffer.from('w').toString('base64')), 'the event');
    const hub = c.clients.get(1)!.watches;
    expect(hub.watchers).toBe(1);
    watch.close();
    await until(() => hub.watchers === 0, 'the watcher cancelled');
    session.close();
    // A browser's watch over wss (a websocket over HTTP/1.1 on TLS): its created message, then an event.
    const wss = new WebSocket(`${url.replace(/^https/, 'wss')}/v3/watch`, { ca });
    const messages: string[] = [];
    wss.on('message', (d: Buffer) => messages.push(d.toString()));
    await new Promise((resolve) => wss.once('open', resolve));
    wss.send(JSON.stringify({ create_request: { key: Buffer.from('over-wss').toString('base64') } }));
    await until(() => messages.length === 1, 'the created message');
    await c.clients.get(1)!.put('over-wss', 'x');
    await until(() => messages.some((m) => m.includes(Buffer.from('x').toString('base64'))), 'the event');
    wss.close();
    await until(() => hub.watchers === 0, 'the websocket watcher cancelled');
    // A gRPC client on the same URL still negotiates h2.
    const client = new Etcd3({ hosts: url, credentials: { rootCertificate: readFileSync(pki.ca.ca!.file) } });
    try {
      expect((await client.maintenance.status()).version).toBe(ETCD_API_VERSION);
    } finally {
      client.close();
    }
  } finally {
    await c.close();
    pki.dispose();
  }
});
