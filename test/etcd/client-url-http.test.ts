import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { expect, test } from 'vitest';
import { ETCD_API_VERSION } from '../../src/etcd/version.js';
import { differentialPair } from './differential-pair.js';
import { createEtcdPki } from './pki.js';
import { startKvCluster } from './helpers.js';

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

test('over TLS, a client that asks for HTTP/1.1 gets the endpoints too; gRPC clients still get h2', async () => {
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
