import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createEtcdPki } from './pki.js';
import { startKvCluster } from './helpers.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// `--listen-client-http-urls` (etcd 3.5): the client HTTP (the JSON gateway with its websockets,
// /health, /version, /metrics) is served on these URLs, and `--listen-client-urls` serve gRPC only.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-client-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A GET of `url` over HTTP/1: its status, or the error that ended the connection without one. */
function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('the gateway and /health answer on the http URL, gRPC on the client URL, and the client URL answers no HTTP/1', async () => {
  const client = `http://127.0.0.1:${String(await freePort())}`;
  const peer = `http://127.0.0.1:${String(await freePort())}`;
  const httpUrl = `http://127.0.0.1:${String(await freePort())}`;
  const m = spawnRaftkit([...singleMemberArgs('split', join(dir, 'split'), client, peer), '--listen-client-http-urls', httpUrl]);
  const etcd = new Etcd3({ hosts: client });
  try {
    await m.started;
    expect(m.output()).toContain(`"msg":"serving client http traffic","address":"${httpUrl}"`);
    await etcd.put('a').value('1');
    const range = await fetch(`${httpUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('a').toString('base64') }) });
    expect(range.status).toBe(200);
    const body = (await range.json()) as { kvs: { value: string }[] };
    expect(Buffer.from(body.kvs[0]!.value, 'base64').toString()).toBe('1');
    for (const path of ['/health', '/version', '/metrics', '/livez']) expect(await get(`${httpUrl}${path}`)).toBe(200);
    // The gateway's websocket proxy is served there too.
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/v3/watch`);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    ws.close();
    // The client URL: gRPC only. HTTP/1 is closed unanswered (as etcd's gRPC server closes it).
    expect(typeof (await get(`${client}/health`))).toBe('string');
    await expect(fetch(`${client}/v3/kv/range`, { method: 'POST', body: '{"key":"YQ=="}' })).rejects.toThrow();
    expect(await etcd.get('a').string()).toBe('1');
  } finally {
    etcd.close();
    m.child.kill('SIGKILL');
    await m.exited;
  }
}, 30_000);

/** A GET of `url` over HTTPS with `options` (CA, client certificate): its status, or the error that ended it. */
function getTls(url: string, options: https.RequestOptions & { ALPNProtocols?: string[] }): Promise<number | string> {
  return new Promise((resolve) => {
    https.get(url, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('an https http URL uses the client certificate files, client-cert auth included', async () => {
  const pki = createEtcdPki(['ca']);
  const member = pki.issue('member');
  const ctl = pki.issue('ctl');
  const client = `https://127.0.0.1:${String(await freePort())}`;
  const peer = `http://127.0.0.1:${String(await freePort())}`;
  const httpUrl = `https://127.0.0.1:${String(await freePort())}`;
  const m = spawnRaftkit([
    ...singleMemberArgs('tls', join(dir, 'tls'), client, peer), '--listen-client-http-urls', httpUrl,
    '--cert-file', member.certFile, '--key-file', member.keyFile, '--trusted-ca-file', pki.ca.ca!.file, '--client-cert-auth',
  ]);
  try {
    await m.started;
    const ca = pki.ca.ca!.pem;
    expect(await getTls(`${httpUrl}/version`, { ca, cert: ctl.cert, key: ctl.key })).toBe(200);
    // Without a client certificate the handshake is refused, as on the client URLs.
    expect(typeof (await getTls(`${httpUrl}/version`, { ca }))).toBe('string');
  } finally {
    m.child.kill('SIGKILL');
    await m.exited;
    pki.dispose();
  }
}, 30_000);

/** An HTTP/2 GET of `path` on a TLS URL (as curl over https): its status, or the error that ended the stream. */
async function h2Get(url: string, ca: Buffer, path: string): Promise<number | string> {
  const session = http2.connect(url, { ca });
  session.on('error', () => undefined);
  try {
    return await new Promise((resolve) => {
      const req = session.request({ ':path': path });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.resume();
      req.end();
    });
  } finally {
    session.close();
  }
}

test('EtcdServer with grpcOnly over TLS: the client URL refuses HTTP/1.1 and HTTP/2 that is not gRPC, serves gRPC; listenHttp serves the HTTP', async () => {
  const pki = createEtcdPki(['ca']);
  const server = pki.issue('server');
  const ca = readFileSync(pki.ca.ca!.file);
  const c = await startKvCluster([1], { grpcOnly: true, tls: { cert: readFileSync(server.certFile), key: readFileSync(server.keyFile) } });
  const etcd = new Etcd3({ hosts: await c.servers.get(1)!.listen('https://127.0.0.1:0'), credentials: { rootCertificate: ca } });
  try {
    const grpcUrl = c.servers.get(1)!.clientUrls.at(-1)!;
    const httpUrl = await c.servers.get(1)!.listenHttp('https://127.0.0.1:0');
    await etcd.put('k').value('v');
    expect(await getTls(`${httpUrl}/health`, { ca, ALPNProtocols: ['http/1.1'] })).toBe(200);
    expect(await getTls(`${grpcUrl}/health`, { ca, ALPNProtocols: ['http/1.1'] })).toBe('ECONNRESET');
    expect(await h2Get(grpcUrl, ca, '/health')).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(await etcd.get('k').string()).toBe('v');
  } finally {
    etcd.close();
    await c.close();
    pki.dispose();
  }
});
