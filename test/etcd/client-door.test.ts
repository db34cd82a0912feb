import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLIENT_PREFACE, EMPTY_SETTINGS, FrameFlag, FrameType, frameHeader } from '../../src/etcd/http2/frames.js';
import { encodeHeaderBlock } from '../../src/etcd/http2/hpack/encoder.js';
import { EtcdServer } from '../../src/etcd/server.js';
import { ETCD_API_VERSION } from '../../src/etcd/version.js';
import { Cluster } from '../replica/helpers/cluster.js';
import { callUnary, rawClient } from './helpers.js';
import { rawConnection } from './http2/raw-connection.js';

// Hostile connections at EtcdServer's door (before grpc-js): each is closed (or handed to grpc-js
// unchanged) without harming the process, counted, and a normal client is served afterwards.
let cluster: Cluster;
let server: EtcdServer;
let url = '';
let port = 0;

beforeAll(async () => {
  cluster = await Cluster.create([1]);
  server = new EtcdServer({ replica: cluster.replicas.get(1)! });
  url = await server.listen('http://127.0.0.1:0');
  port = Number(new URL(url).port);
});
afterAll(async () => {
  await server.close();
  await cluster.close();
});

async function served(): Promise<void> {
  const client = rawClient('Maintenance', url);
  try {
    const r = await callUnary(client, 'Status', {});
    expect(r.err).toBeUndefined();
    expect(r.res?.['version']).toBe(ETCD_API_VERSION);
  } finally {
    client.close();
  }
}

/** Opens a raw connection, writes `bytes`, and resolves once the server has closed it. */
function sendUntilClosed(bytes: Buffer): Promise<void> {
  const { socket, closed } = rawConnection(port);
  socket.write(bytes);
  return closed;
}

const request = (authority: string, extra: { name: string; value: string }[] = []): Buffer => encodeHeaderBlock([
  { name: ':method', value: 'POST' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/etcdserverpb.Maintenance/Status' },
  { name: ':authority', value: authority }, { name: 'content-type', value: 'application/grpc' }, { name: 'te', value: 'trailers' }, ...extra,
]);

test('garbage instead of the HTTP/2 preface: closed, counted as refused', async () => {
  const before = await server.refusedConnections();
  await sendUntilClosed(Buffer.from('\u0016\u0003\u0001 not http/2 at all, and not TLS either\r\n\r\n'));
  expect(await server.refusedConnections()).toBe(before + 1);
  expect(await server.metrics.text()).toMatch(/raftkit_client_http2_refused_total\{reason="preface"\} [1-9]/);
  await served();
});

test('a truncated frame, then the client goes away: no harm', async () => {
  const { socket, closed } = rawConnection(port);
  socket.write(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS.subarray(0, 5)]), () => socket.end());
  await closed;
  await served();
});

test('a huge header block on a rewritten connection: closed as too large, counted', async () => {
  const before = await server.refusedConnections();
  const first = request(`http://127.0.0.1:${String(port)}`);
  await sendUntilClosed(Buffer.concat([
    CLIENT_PREFACE, EMPTY_SETTINGS, frameHeader(0, FrameType.SETTINGS, FrameFlag.ACK, 0),
    frameHeader(first.length, FrameType.HEADERS, FrameFlag.END_HEADERS, 1), first,
    frameHeader(16384, FrameType.HEADERS, 0, 3), Buffer.alloc(16384, 0x82),
    ...Array.from({ length: 20 }, () => Buffer.concat([frameHeader(16384, FrameType.CONTINUATION, 0, 3), Buffer.alloc(16384, 0x82)])),
  ]));
  expect(await server.refusedConnections()).toBe(before + 1);
  expect(await server.metrics.text()).toMatch(/raftkit_client_http2_refused_total\{reason="too_large"\} [1-9]/);
  await served();
});

test('a bad Huffman string in the first request: closed, counted', async () => {
  const before = await server.refusedConnections();
  await sendUntilClosed(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, frameHeader(6, FrameType.HEADERS, FrameFlag.END_HEADERS, 1), Buffer.from([0x41, 0x84, 0xff, 0xff, 0xff, 0xff])]));
  expect(await server.refusedConnections()).toBe(before + 1);
  await served();
});

test('a slow-loris that never completes its header block does not hold up other clients', async () => {
  const { socket } = rawConnection(port);
  const block = request(`http://127.0.0.1:${String(port)}`);
  await new Promise<void>((resolve) => {
    socket.write(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, frameHeader(block.length, FrameType.HEADERS, 0, 1), block.subarray(0, 10)]), () => { resolve(); });
  });
  await served();
  await served();
  expect(socket.destroyed).toBe(false);
  socket.destroy();
});

test('server.close() also ends connections still at the door', async () => {
  const c2 = await Cluster.create([1]);
  const s2 = new EtcdServer({ replica: c2.replicas.get(1)! });
  const u2 = new URL(await s2.listen('http://127.0.0.1:0'));
  const { socket, closed } = rawConnection(Number(u2.port));
  await new Promise<void>((resolve) => socket.write(CLIENT_PREFACE, () => { resolve(); }));
  await s2.close();
  await closed;
  await c2.close();
});

test('a grpc-js client (plain :authority) is handed over directly: nothing parsed after its first request', async () => {
  const before = await server.admittedConnections();
  await served();
  const after = await server.admittedConnections();
  expect(after.direct - before.direct).toBe(1);
  expect(after.rewritten).toBe(before.rewritten);
});

/** Writes `pieces` on a fresh connection, 20 ms apart; resolves with everything the server sent until it closed or `ms` passed. */
async function exchange(pieces: (string | Buffer)[], ms = 1000): Promise<Buffer> {
  const { socket, closed } = rawConnection(port);
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  for (const p of pieces) {
    socket.write(p);
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, ms))]);
  socket.destroy();
  return Buffer.concat(got);
}

test('an HTTP/1 request, however it is split, is answered as etcd answers it (/health); the door counts no refusal', async () => {
  const before = await server.refusedConnections();
  const answer = (await exchange(['G', 'ET /hea', 'lth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'])).toString('latin1');
  expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(answer).toMatch(/access-control-allow-origin: \*/i);
  expect(answer).toContain('"health":"true"');
  expect(await server.refusedConnections()).toBe(before);
  await served();
});

test('the HTTP/2 preface split into pieces still reaches gRPC; uppercase garbage without a request line is refused', async () => {
  const answer = await exchange([CLIENT_PREFACE.subarray(0, 3), CLIENT_PREFACE.subarray(3, 9), Buffer.concat([CLIENT_PREFACE.subarray(9), EMPTY_SETTINGS])], 300);
  // The server's first frame is its SETTINGS (type 4).
  expect(answer.length).toBeGreaterThanOrEqual(9);
  expect(answer[3]).toBe(FrameType.SETTINGS);
  const before = await server.refusedConnections();
  await sendUntilClosed(Buffer.from('HELLOWORLDHELLOWORLD\r\n\r\n'));
  expect(await server.refusedConnections()).toBe(before + 1);
  await served();
});
