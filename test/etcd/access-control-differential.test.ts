import * as http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { EtcdServer } from '../kv/etcd-server.js';
import { startKvCluster, type KvCluster } from './helpers.js';

// etcd's access controller on its client URLs' HTTP: --host-whitelist refuses plain-text requests
// naming another host (421, against DNS rebinding), --cors answers allowed origins with CORS
// headers (and others without), and every OPTIONS (a browser's preflight) gets an empty 200. A real
// etcd 3.4 and raftkit with the same settings get the same requests and must answer alike.

const CORS = 'http://allowed.example:8080';
const HOSTS = '127.0.0.1,good.example';
let etcd: EtcdServer;
let raftkit: KvCluster;
let open: KvCluster;
beforeAll(async () => {
  etcd = await EtcdServer.start(20_000, ['--cors', CORS, '--host-whitelist', HOSTS]);
  raftkit = await startKvCluster([1], { cors: CORS.split(','), hostWhitelist: HOSTS.split(',') });
  open = await startKvCluster([1]);
}, 60_000);
afterAll(async () => {
  await raftkit?.close();
  await open?.close();
  await etcd?.stop();
});

/** One request with its own Host and Origin headers: the status, the CORS headers and the body. */
function ask(url: string, method: string, path: string, headers: Record<string, string>): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve([
        String(res.statusCode), `origin=${String(res.headers['access-control-allow-origin'])}`, `methods=${String(res.headers['access-control-allow-methods'])}`,
        res.statusCode === 421 || method === 'OPTIONS' ? JSON.stringify(body) : '',
      ].join(' ')));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{"key":"YQ=="}' : undefined);
  });
}

const CASES: [string, string, Record<string, string>][] = [
  ['GET', '/health', { host: 'good.example:2379' }],
  ['GET', '/health', { host: 'good.example', origin: CORS }],
  ['GET', '/health', { host: 'good.example', origin: 'http://other.example' }],
  ['GET', '/health', { host: 'evil.example:2379' }],
  ['GET', '/version', { host: 'evil.example' }],
  ['POST', '/v3/kv/range', { host: 'evil.example', origin: CORS }],
  ['POST', '/v3/kv/range', { host: '127.0.0.1', origin: CORS }],
  ['OPTIONS', '/v3/kv/range', { host: 'good.example', origin: CORS, 'access-control-request-method': 'POST' }],
  ['OPTIONS', '/v3/kv/range', { host: 'evil.example', origin: CORS }],
];

test('the same --cors and --host-whitelist: statuses, CORS headers and the 421 body as etcd\'s', async () => {
  const answers = async (url: string): Promise<string[]> => {
    const out: string[] = [];
    for (const [method, path, headers] of CASES) out.push(`${method} ${path} ${JSON.stringify(headers)} → ${await ask(url, method, path, headers)}`);
    return out;
  };
  const [e, r] = [await answers(etcd.url), await answers(raftkit.urls.get(1)!)];
  expect(r).toEqual(e);
  expect(e[3]).toMatch(/→ 421 /);
  expect(e[1]).toContain(`origin=${CORS}`);
  expect(e[2]).toContain('origin=undefined');
});

test('by default (as etcd\'s defaults) any host and any origin: a preflight gets 200 with *', async () => {
  const answer = await ask(open.urls.get(1)!, 'OPTIONS', '/v3/kv/put', { host: 'anything.example', origin: 'http://site.example' });
  expect(answer).toBe('200 origin=* methods=POST, GET, OPTIONS, PUT, DELETE ""');
});

test('a websocket to the gateway naming a host not whitelisted is refused before the upgrade (421), as etcd refuses it', async () => {
  const status = async (url: string, host: string): Promise<number> => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v3/watch`, { headers: { host } });
    ws.on('error', () => undefined);
    return new Promise((resolve) => {
      ws.once('upgrade', () => {
        resolve(101);
        ws.terminate();
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
    });
  };
  for (const host of ['evil.example', 'good.example']) expect(await status(raftkit.urls.get(1)!, host)).toBe(await status(etcd.url, host));
  expect(await status(etcd.url, 'evil.example')).toBe(421);
});
