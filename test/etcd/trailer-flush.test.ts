import { Client, credentials, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { FrameFlag, FrameType, FRAME_HEADER_LENGTH, readFrameHeader } from '../../src/etcd/http2/frames.js';
import { flushTrailersEarly } from '../../src/etcd/trailer-flush.js';
import { callUnary, rawClient, startKvCluster } from './helpers.js';

// The server and a TCP proxy in front of it share this process's event loop, so the proxy reads
// the server's output in a poll phase: bytes the server writes in one turn of the loop come in one
// read, and bytes written a turn later in another. Each response's frames are grouped by the read
// they came in.

const RST_STREAM = 0x3;

/** What the proxy saw of the server's output: per client stream, the reads its frames came in. */
interface Seen {
  /** Stream id → index of the read holding each of its frames (HEADERS, DATA, trailers). */
  reads: Map<number, number[]>;
  /** Stream id → whether its last frame was a HEADERS with END_STREAM (the trailers). */
  ended: Map<number, boolean>;
  /** RST_STREAM frames the server sent. */
  resets: number;
}

interface Proxy {
  url: string;
  seen: Seen;
  /** Stops (true) or resumes (false) reading the server's output, so that the server's socket fills. */
  hold(on: boolean): void;
  close(): void;
}

/** A TCP proxy to `port` that parses the server → client bytes into frames. */
async function frameProxy(port: number): Promise<Proxy> {
  const seen: Seen = { reads: new Map(), ended: new Map(), resets: 0 };
  const sockets = new Set<net.Socket>();
  const ups = new Set<net.Socket>();
  let held = false;
  const server = net.createServer((down) => {
    down.setNoDelay(true);
    const up = net.connect(port, '127.0.0.1');
    up.setNoDelay(true);
    sockets.add(down).add(up);
    ups.add(up);
    if (held) up.pause();
    let pending = Buffer.alloc(0);
    let read = 0;
    down.on('data', (b: Buffer) => up.write(b));
    up.on('data', (b: Buffer) => {
      read++;
      down.write(b);
      pending = Buffer.concat([pending, b]);
      while (pending.length >= FRAME_HEADER_LENGTH) {
        const h = readFrameHeader(pending, 0);
        if (pending.length < FRAME_HEADER_LENGTH + h.length) break;
        pending = pending.subarray(FRAME_HEADER_LENGTH + h.length);
        if (h.type === RST_STREAM) seen.resets++;
        if (h.streamId === 0 || (h.type !== FrameType.HEADERS && h.type !== FrameType.DATA)) continue;
        seen.reads.set(h.streamId, [...(seen.reads.get(h.streamId) ?? []), read]);
        seen.ended.set(h.streamId, h.type === FrameType.HEADERS && (h.flags & FrameFlag.END_STREAM) !== 0);
      }
    });
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `127.0.0.1:${String((server.address() as net.AddressInfo).port)}`,
    seen,
    hold(on) {
      held = on;
      for (const up of ups) {
        if (on) up.pause();
        else up.resume();
      }
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Per answered stream: how many reads its HEADERS, DATA and trailers were spread over. */
function readsPerResponse(seen: Seen): number[] {
  return [...seen.reads.entries()].filter(([id]) => seen.ended.get(id) === true).map(([, reads]) => new Set(reads).size);
}

// A unary method whose messages are raw bytes, on a real grpc-js server and client.
const same = (b: Buffer): Buffer => b;
const method = { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same, originalName: 'Echo' };
const service = { Echo: method } as unknown as ServiceDefinition;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A grpc-js server whose Echo handler answers a turn later (as raftkit's handlers answer a put or
 * a read), flushing its trailers early if `flush`; with `gate`, answers wait there until the test runs them.
 */
async function echoServer(flush: boolean, clientOptions: Record<string, number> = {}, gate?: (() => void)[]): Promise<{ client: Client; proxy: Proxy; installed: boolean[] }> {
  const installed: boolean[] = [];
  const server = new Server();
  server.addService(service, {
    Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const answer = (): void => {
        if (flush) installed.push(flushTrailersEarly(call));
        callback(null, call.request);
      };
      if (gate === undefined) setImmediate(answer);
      else gate.push(answer);
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e)));
  });
  const proxy = await frameProxy(port);
  const client = new Client(proxy.url, credentials.createInsecure(), clientOptions);
  cleanups.push(() => server.forceShutdown(), () => proxy.close(), () => client.close());
  return { client, proxy, installed };
}

function echo(client: Client, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, same, same, payload, (e, res) => { if (e === null && res !== undefined) resolve(res); else reject(e ?? new Error('no response')); });
  });
}

test('with flushTrailersEarly, each unary response (HEADERS, DATA, trailers) is written in one turn of the loop, with no RST_STREAM', async () => {
  const { client, proxy, installed } = await echoServer(true);
  for (let i = 0; i < 40; i++) expect((await echo(client, Buffer.from(`m${String(i)}`))).toString()).toBe(`m${String(i)}`);
  expect(installed).toEqual(Array.from({ length: 40 }, () => true));
  expect(readsPerResponse(proxy.seen)).toEqual(Array.from({ length: 40 }, () => 1));
  expect(proxy.seen.resets).toBe(0);
});

test('without it, grpc-js on Node HTTP/2 sends every unary response\'s trailers a turn after its message (what flushTrailersEarly replaces)', async () => {
  const { client, proxy } = await echoServer(false);
  for (let i = 0; i < 20; i++) await echo(client, Buffer.from('x'));
  expect(readsPerResponse(proxy.seen)).toEqual(Array.from({ length: 20 }, () => 2));
});

test('64 calls in flight on one connection: every answer is right and no RST_STREAM is sent', async () => {
  const { client, proxy, installed } = await echoServer(true);
  const big = Buffer.alloc(200_000, 7); // some answers larger than a frame and than the stream's window
  const got = await Promise.all(Array.from({ length: 64 }, (_, i) => echo(client, i % 8 === 0 ? big : Buffer.from(String(i)))));
  got.forEach((b, i) => {
    expect(b.equals(i % 8 === 0 ? big : Buffer.from(String(i)))).toBe(true);
  });
  expect(installed).toHaveLength(64);
  expect(proxy.seen.resets).toBe(0);
});

test('32 answers given at once, half of them 512 KiB, while the proxy stops reading the server: every answer is right and no RST_STREAM is sent', async () => {
  // A 64 MiB window lets the server queue far more than the socket buffers hold while the proxy stops reading.
  const gate: (() => void)[] = [];
  const { client, proxy, installed } = await echoServer(true, { 'grpc-node.flow_control_window': 64 * 1024 * 1024 }, gate);
  const big = Buffer.alloc(512 * 1024, 7);
  const answers = Promise.all(Array.from({ length: 32 }, (_, i) => echo(client, i % 2 === 0 ? big : Buffer.from(String(i)))));
  for (let turns = 0; gate.length < 32; turns++) {
    if (turns > 100_000) throw new Error(`only ${String(gate.length)} calls received`);
    await new Promise((r) => setImmediate(r));
  }
  proxy.hold(true);
  for (const answer of gate) answer();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); // the trailers and the flushes queued behind them
  proxy.hold(false);
  const got = await answers;
  got.forEach((b, i) => {
    expect(b.equals(i % 2 === 0 ? big : Buffer.from(String(i)))).toBe(true);
  });
  expect(installed).toHaveLength(32);
  expect(proxy.seen.resets).toBe(0);
});

test('a call object without grpc-js\'s inner stream is left alone', () => {
  expect(flushTrailersEarly({})).toBe(false);
  expect(flushTrailersEarly({ call: { stream: {} } })).toBe(false);
});

/** A stand-in for Node's ServerHttp2Stream: what the flush reads, and its calls to `close`. */
class FakeStream {
  sent: unknown[] = [];
  closes: (number | undefined)[] = [];
  closed = false;
  destroyed = false;
  readableEnded = true;
  writableFinished = true;
  session: { encrypted: boolean; socket: { _handle: { writeQueueSize: number } | null } } = { encrypted: false, socket: { _handle: { writeQueueSize: 0 } } };
  sendTrailers(headers: unknown): void {
    this.sent.push(headers);
  }
  close(code?: number): void {
    this.closes.push(code);
  }
}

test.each([
  { name: 'a plain TCP session with nothing in flight', change: (): void => undefined, wantClose: [0] },
  { name: 'a TLS session (its writes complete later)', change: (s: FakeStream): void => { s.session.encrypted = true; }, wantClose: [] },
  { name: 'a socket write in flight', change: (s: FakeStream): void => { s.session.socket._handle = { writeQueueSize: 120 }; }, wantClose: [] },
  { name: 'a socket that is not a native one (a JS stream)', change: (s: FakeStream): void => { s.session.socket._handle = null; }, wantClose: [] },
  { name: 'a request side still open', change: (s: FakeStream): void => { s.readableEnded = false; }, wantClose: [] },
  { name: 'a stream already closed', change: (s: FakeStream): void => { s.closed = true; }, wantClose: [] },
])('after the trailers are handed over, the stream is closed without error only when nothing can make the flush wait: $name', async ({ change, wantClose }) => {
  const stream = new FakeStream();
  expect(flushTrailersEarly({ call: { stream } })).toBe(true);
  expect(Object.hasOwn(stream, 'sendTrailers')).toBe(true);
  expect(Object.hasOwn(FakeStream.prototype, 'sendTrailers')).toBe(true);
  change(stream);
  stream.sendTrailers({ 'grpc-status': '0' });
  expect(stream.sent).toEqual([{ 'grpc-status': '0' }]); // Node's own sendTrailers, at once
  expect(stream.closes).toEqual([]); // the flush waits behind Node's immediate
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  expect(stream.closes).toEqual(wantClose);
});

/**
 * A stand-in for a session as Node's HTTP/2 runs it: `sendTrailers` hands a stream's trailers to
 * nghttp2 at `setImmediate`; a stream's `close` writes everything nghttp2 holds in one socket
 * write, whose END_STREAMs end those streams.
 */
class FakeSession {
  held: SessionStream[] = [];
  /** The socket writes: the streams whose trailers each carried. */
  writes: number[][] = [];
  readonly encrypted = false;
  readonly socket = { _handle: { writeQueueSize: 0 } };
}

class SessionStream {
  closed = false;
  readonly destroyed = false;
  readonly readableEnded = true;
  readonly writableFinished = true;
  readonly id: number;
  readonly session: FakeSession;
  constructor(id: number, session: FakeSession) {
    this.id = id;
    this.session = session;
  }
  sendTrailers(): void {
    setImmediate(() => this.session.held.push(this));
  }
  close(): void {
    const carried = this.session.held.splice(0);
    for (const s of carried) s.closed = true;
    if (carried.length > 0) this.session.writes.push(carried.map((s) => s.id));
    this.closed = true;
  }
}

test('the trailers of calls answered in one pass leave in one socket write, after all of them are handed over', async () => {
  const session = new FakeSession();
  const streams = [1, 3, 5, 7].map((id) => new SessionStream(id, session));
  for (const stream of streams) expect(flushTrailersEarly({ call: { stream } })).toBe(true);
  for (const stream of streams) stream.sendTrailers(); // as Node asks for them while it writes their messages
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  expect(session.writes).toEqual([[1, 3, 5, 7]]);
  expect(streams.every((s) => s.closed)).toBe(true);
  // A later pass gets its own flush.
  const later = new SessionStream(9, session);
  flushTrailersEarly({ call: { stream: later } });
  later.sendTrailers();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  expect(session.writes).toEqual([[1, 3, 5, 7], [9]]);
});

test('EtcdServer answers Put and Range with their trailers in the same turn as their message', async () => {
  const c = await startKvCluster([1]);
  cleanups.push(() => c.close());
  const proxy = await frameProxy(Number(new URL(c.urls.get(1)!).port));
  cleanups.push(() => proxy.close());
  const client = rawClient('KV', `http://${proxy.url}`);
  cleanups.push(() => client.close());
  for (let i = 0; i < 10; i++) {
    expect((await callUnary(client, 'Put', { key: Buffer.from(`k${String(i)}`), value: Buffer.from('v') })).err).toBeUndefined();
    expect((await callUnary(client, 'Range', { key: Buffer.from(`k${String(i)}`) })).res?.['count']).toBe('1');
    expect((await callUnary(client, 'Range', { key: Buffer.from(`k${String(i)}`), serializable: true })).res?.['count']).toBe('1');
  }
  expect(readsPerResponse(proxy.seen)).toEqual(Array.from({ length: 30 }, () => 1));
  expect(proxy.seen.resets).toBe(0);
});
