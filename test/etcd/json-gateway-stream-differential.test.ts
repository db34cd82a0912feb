import * as net from 'node:net';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { differentialPair, type Wire } from './differential-pair.js';
import { callUnary, gatewayPost, rawClient, until, type Streamed } from './helpers.js';

// etcd's JSON gateway for the streaming calls (`POST /v3/watch`, `/v3/lease/keepalive`,
// `/v3/maintenance/snapshot`), as curl-based scripts use it: a real etcd 3.4 and a one-member
// raftkit cluster get the same bodies, and the answers must be the same once the cluster and
// member ids are replaced: status, content type, and the lines `{"result": ...}` (per watcher
// for Watch, whose watchers' lines interleave by timing), or the error.

const pair = differentialPair();
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** An answer's body with the ids and terms that differ between the two clusters replaced. */
const normalize = (body: string): string => body.replace(/"(cluster_id|member_id|raft_term)":"\d+"/g, '"$1":"-"');

/** The whole answer to `body`, on each side. */
async function both(path: string, body: string): Promise<string[]> {
  return Promise.all([pair.etcd.url, pair.raftkitUrl].map(async (url) => {
    const r = await gatewayPost(url, path, body);
    await r.ended;
    return `${String(r.status)} ${r.contentType}\n${normalize(r.body)}`;
  }));
}

test('LeaseKeepAlive through the gateway: one line per request, the stream ends with the body; bad bodies refused as etcd refuses them', async () => {
  await both('/v3/lease/grant', JSON.stringify({ TTL: '60', ID: '4660' }));
  const bodies = [
    '{"ID":"4660"}{"ID":"4660"}', // two keep-alives: two lines
    '{"ID":"999"}', // a lease that does not exist: TTL 0, left out
    '', // no request: an empty answer
    '{"ID":"4660"} xx', // a good request, then garbage: the good one is answered
    '{"ID":', // cut short: "unexpected EOF", code 2
    '[1]', // not an object
    'xx', // not JSON
  ];
  for (const body of bodies) {
    const [etcd, raftkit] = await both('/v3/lease/keepalive', body);
    expect(raftkit, body).toBe(etcd);
  }
  // The cases came up.
  const [twice] = await both('/v3/lease/keepalive', bodies[0]!);
  expect(twice!.split('\n').filter((l) => l.startsWith('{"result"'))).toHaveLength(2);
  expect((await both('/v3/lease/keepalive', '{"ID":'))[0]).toContain('"code":2');
  // GET, and an alias etcd does not have.
  for (const [method, path] of [['GET', '/v3/lease/keepalive'], ['POST', '/v3/kv/lease/keepalive']] as const) {
    const statuses = await Promise.all([pair.etcd.url, pair.raftkitUrl].map((url) => fetch(new URL(path, url), { method }).then((r) => r.status)));
    expect(statuses[1], `${method} ${path}`).toBe(statuses[0]);
  }
});

test('Watch through the gateway: created answers, the history, live events with prev_kv, per watcher the same lines; a client that goes away cancels its watchers', async () => {
  for (const value of ['1', '2']) await both('/v3/kv/put', JSON.stringify({ key: b64('gw/a'), value: b64(value) }));
  const body = `${JSON.stringify({ create_request: { key: b64('gw/a'), start_revision: '2' } })} ${JSON.stringify({ create_request: { key: b64('gw/'), range_end: b64('gw0'), prev_kv: true } })}`;
  const streams = await Promise.all([pair.etcd.url, pair.raftkitUrl].map((url) => gatewayPost(url, '/v3/watch', body)));
  /** Each watcher's lines, by watch id (0 is left out of the JSON). */
  const perWatcher = (s: Streamed): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const line of s.body.split('\n').filter((l) => l !== '')) {
      const id = (JSON.parse(line) as { result: { watch_id?: string } }).result.watch_id ?? '0';
      (out[id] ??= []).push(normalize(line));
    }
    return out;
  };
  const count = (s: Streamed, id: string): number => perWatcher(s)[id]?.length ?? 0;
  // Watcher 0: created, then its history (revisions 2 and 3) in one line; watcher 1: created.
  await until(() => streams.every((s) => count(s, '0') === 2 && count(s, '1') === 1), 'the created answers and the history');
  await both('/v3/kv/put', JSON.stringify({ key: b64('gw/b'), value: b64('x') }));
  await both('/v3/kv/put', JSON.stringify({ key: b64('gw/a'), value: b64('3') }));
  await until(() => streams.every((s) => count(s, '0') === 3 && count(s, '1') === 3), 'the live events');
  const [etcd, raftkit] = streams as [Streamed, Streamed];
  expect(raftkit.status).toBe(etcd.status);
  expect(raftkit.contentType).toBe(etcd.contentType);
  expect(perWatcher(raftkit)).toEqual(perWatcher(etcd));
  expect(perWatcher(etcd)['1']![2]).toContain('"prev_kv"');
  // The client goes away: raftkit's watchers end.
  const hub = pair.raftkit.clients.get(1)!.watches;
  expect(hub.watchers).toBe(2);
  for (const s of streams) s.abort();
  await until(() => hub.watchers === 0, 'the watchers cancelled');
  // A bad first request: an error before the stream starts, as etcd's.
  const [etcdBad, raftkitBad] = await both('/v3/watch', '{"create_request":');
  expect(raftkitBad).toBe(etcdBad);
});

test('a Watch stream the client half-closes keeps its watchers, as etcd keeps them (the gateway half-closes after the body)', async () => {
  const sides = [pair.etcd.url, pair.raftkitUrl].map((url) => {
    const kv = rawClient('KV', url);
    const watch = rawClient('Watch', url);
    const stream = (watch as unknown as { Watch(): ClientDuplexStream<Wire, Wire> }).Watch();
    const got: string[] = [];
    stream.on('error', () => undefined);
    stream.on('data', (r: Wire) => {
      for (const e of (r.events as Wire[] | undefined) ?? []) got.push(Buffer.from((e.kv as Wire).value as Uint8Array).toString());
      if (r.created === true) got.push('created');
    });
    stream.write({ createRequest: { key: Buffer.from('half') } });
    return { kv, watch, stream, got };
  });
  try {
    await until(() => sides.every((s) => s.got.includes('created')), 'the watchers');
    for (const s of sides) s.stream.end();
    await new Promise((r) => setTimeout(r, 100));
    for (const s of sides) expect((await callUnary(s.kv, 'Put', { key: Buffer.from('half'), value: Buffer.from('after') })).err).toBeUndefined();
    await until(() => sides.every((s) => s.got.includes('after')), 'the event after the half-close');
    expect(sides[1]!.got).toEqual(sides[0]!.got);
  } finally {
    for (const s of sides) {
      s.stream.cancel();
      s.kv.close();
      s.watch.close();
    }
  }
});

test('a streaming call that fails before its first response answers grpc-gateway\'s error object with its code\'s HTTP status (here: Snapshot, not served by this member)', async () => {
  const r = await gatewayPost(pair.raftkitUrl, '/v3/maintenance/snapshot', '{}');
  await r.ended;
  expect(r.status).toBe(501);
  const error = (JSON.parse(r.body) as { error: Record<string, unknown> }).error;
  expect(error).toMatchObject({ grpc_code: 12, http_code: 501, http_status: 'Not Implemented' });
  expect(error.message).toMatch(/^raftkit: this Maintenance RPC needs/);
});

test('hostile streaming gateway requests are refused with code 2 before the call, and the member keeps serving: wrong types, deep nesting, an oversized object', async () => {
  const bodies = [
    JSON.stringify({ create_request: { key: 5 } }),
    JSON.stringify({ create_request: { key: b64('k'), filters: ['NOSUCHFILTER'] } }),
    `{"create_request":${'['.repeat(200_000)}`,
    `{"create_request":{"key":"${'A'.repeat(5 * 1024 * 1024)}"}}`,
  ];
  for (const [i, body] of bodies.entries()) {
    const r = await gatewayPost(pair.raftkitUrl, '/v3/watch', body);
    await r.ended;
    expect(r.status, `body ${String(i)}`).toBe(500);
    expect((JSON.parse(r.body) as { code: number }).code, `body ${String(i)}`).toBe(2);
  }
  expect(pair.raftkit.clients.get(1)!.watches.watchers).toBe(0);
  // After a good request, bad text ends the requests: the good one is served, the call goes on.
  const r = await gatewayPost(pair.raftkitUrl, '/v3/lease/keepalive', `{"ID":"1"}${'{'.repeat(100)}`);
  await r.ended;
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ result: { ID: '1' } });
  // Clients that go away in the middle of a body, chunked or not, or in the middle of the answer.
  const u = new URL(pair.raftkitUrl);
  const cutShort = [
    'POST /v3/watch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{"create_request":{"key":"Z3cvYQ',
    'POST /v3/lease/keepalive HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"ID":"1"}{"ID":',
    `POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n${JSON.stringify({ create_request: { key: b64('gw/'), range_end: b64('gw0'), start_revision: '1' } })}`,
  ];
  for (const raw of cutShort) {
    await new Promise<void>((resolve) => {
      const sock = net.connect(Number(u.port), u.hostname, () => {
        sock.write(raw);
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 100);
      });
      sock.on('error', () => resolve());
    });
  }
  await until(() => pair.raftkit.clients.get(1)!.watches.watchers === 0, 'the watchers of the clients that went away cancelled');
  const ok = await gatewayPost(pair.raftkitUrl, '/v3/kv/range', JSON.stringify({ key: b64('gw/a') }));
  await ok.ended;
  expect(ok.status).toBe(200);
});
