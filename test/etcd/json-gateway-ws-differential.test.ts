import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { differentialPair } from './differential-pair.js';
import { callUnary, rawClient, until } from './helpers.js';

// etcd's websocket proxy of its JSON gateway (what a browser uses to watch): each message sent is a
// line of the request body of a POST to the path, each line of the response comes back as a text
// message, and the end of the response drops the connection. A real etcd 3.4 and a one-member
// raftkit cluster get the same messages; what comes back must be the same once the cluster and
// member ids are replaced, and so must the way the connection ends.

const pair = differentialPair();
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const normalize = (m: string): string => m.replace(/"(cluster_id|member_id|raft_term)":"\d+"/g, '"$1":"-"');

/** What one websocket session saw: the upgrade's status, the messages, and how it closed. */
interface Session {
  status: number;
  messages: string[];
  close: number | undefined;
}

/**
 * Opens a websocket to `path`, sends `messages`, runs `during` once `expect` messages came (or at
 * once), then closes it from the client side unless the server ended it first.
 */
async function session(url: string, path: string, messages: readonly string[], o: { expect?: number; during?: (() => Promise<void>) | undefined; settleMs?: number } = {}): Promise<Session> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`);
  const s: Session = { status: 0, messages: [], close: undefined };
  ws.on('upgrade', (res) => (s.status = res.statusCode ?? 0));
  ws.on('unexpected-response', (_req, res) => {
    s.status = res.statusCode ?? 0;
    res.resume();
    ws.terminate();
  });
  ws.on('message', (d: Buffer) => s.messages.push(normalize(d.toString())));
  ws.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => ws.on('close', (code) => {
    s.close = code;
    resolve();
  }));
  await new Promise<void>((resolve) => {
    ws.once('open', resolve);
    ws.once('close', resolve);
  });
  if (ws.readyState === WebSocket.OPEN) for (const m of messages) ws.send(m);
  await until(() => s.messages.length >= (o.expect ?? 0) || s.close !== undefined, `${String(o.expect ?? 0)} messages on ${path}`);
  await o.during?.();
  await new Promise((r) => setTimeout(r, o.settleMs ?? 150));
  if (ws.readyState === WebSocket.OPEN) ws.close();
  await closed;
  return s;
}

/** The watchers a member has (etcd_debugging_mvcc_watcher_total). */
async function watchers(url: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return Number(/^etcd_debugging_mvcc_watcher_total (\d+)$/m.exec(text)![1]);
}

async function both(path: string, messages: readonly string[], o: { expect?: number; during?: (url: string) => Promise<void> } = {}): Promise<[Session, Session]> {
  const out: Session[] = [];
  for (const url of [pair.etcd.url, pair.raftkitUrl]) out.push(await session(url, path, messages, { ...o, during: o.during === undefined ? undefined : () => o.during!(url) }));
  return out as [Session, Session];
}

test('a watch over a websocket: created, then each event as a message; closing the websocket cancels the watcher', async () => {
  const put = async (url: string, value: string): Promise<void> => {
    expect((await callUnary(rawClient('KV', url), 'Put', { key: Buffer.from('ws/a'), value: Buffer.from(value) })).err).toBeUndefined();
  };
  for (const url of [pair.etcd.url, pair.raftkitUrl]) await put(url, 'v0');
  const [etcd, raftkit] = await both('/v3/watch', [JSON.stringify({ create_request: { key: b64('ws/a'), prev_kv: true } })], {
    expect: 1,
    during: async (url) => {
      await put(url, 'v1');
      await put(url, 'v2');
    },
  });
  expect(etcd.status).toBe(101);
  expect(etcd.messages).toHaveLength(3);
  expect(etcd.close).toBe(1005);
  expect(raftkit).toEqual(etcd);
  // The websocket closed, so is the watch (on both).
  for (const url of [pair.etcd.url, pair.raftkitUrl]) await until(async () => (await watchers(url)) === 0, `no watcher left on ${url}`);
  // Two watchers in one message (the body's lines are read as one JSON stream).
  const two = JSON.stringify({ create_request: { key: b64('ws/b') } }) + JSON.stringify({ create_request: { key: b64('ws/c') } });
  const [e2, r2] = await both('/v3/watch', [two], { expect: 2 });
  expect(e2.messages).toHaveLength(2);
  expect(r2).toEqual(e2);
});

test('keep-alives, a unary call, a bad first message and an unknown path over a websocket, as etcd answers them', async () => {
  const cases: [string, string[], number][] = [
    ['/v3/lease/keepalive', [JSON.stringify({ ID: '4242' }), JSON.stringify({ ID: '4243' })], 2],
    // A unary path answers its first message, then drops the connection.
    ['/v3/kv/range', [JSON.stringify({ key: b64('ws/a') })], 1],
    ['/v3/maintenance/alarm', [JSON.stringify({ action: 'GET' })], 1],
    ['/v3/watch', ['garbage'], 1],
    ['/v3/watch', ['[1]'], 1],
    ['/v3/nothing', ['{}'], 1],
  ];
  for (const [path, messages, expected] of cases) {
    const [etcd, raftkit] = await both(path, messages, { expect: expected });
    expect(etcd.messages.length, `${path} ${messages.join(' ')}`).toBe(expected);
    expect(raftkit, `${path} ${messages.join(' ')}`).toEqual(etcd);
  }
});

test('a request that asks for a websocket outside the gateway is answered as plain HTTP', async () => {
  const [etcd, raftkit] = await both('/health', []);
  expect(etcd.status).toBe(200);
  expect(raftkit.status).toBe(200);
  expect(raftkit.messages).toEqual([]);
});

test('hostile websocket clients: an oversized message is refused with 1009, a client that vanishes mid-watch leaves no watcher', async () => {
  const big = await session(pair.raftkitUrl, '/v3/watch', [`{"create_request":{"key":"${'A'.repeat(5 * 1024 * 1024)}"}}`]);
  expect(big.close).toBe(1009);
  const ws = new WebSocket(`${pair.raftkitUrl.replace(/^http/, 'ws')}/v3/watch`);
  ws.on('error', () => undefined);
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ create_request: { key: b64('ws/gone') } }));
  await until(async () => (await watchers(pair.raftkitUrl)) === 1, 'the watcher');
  ws.terminate();
  await until(async () => (await watchers(pair.raftkitUrl)) === 0, 'the watcher to go');
  // The member still serves.
  expect((await callUnary(rawClient('KV', pair.raftkitUrl), 'Range', { key: Buffer.from('ws/a') })).err).toBeUndefined();
});
