import { Server, ServerCredentials, status as Status, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import type { UnaryCall } from '../../src/etcd/rpc.js';
import { UnaryPath } from '../../src/etcd/unary-path.js';
import { callUnary, rawClient, startKvCluster } from './helpers.js';

// The same handler served by grpc-js alone and by a grpc-js server whose unary calls take the
// direct path: every answer, well-formed call or not, must be the same on the wire.

const PATH = '/t.T/Echo';
const MAX_RECEIVE = 64;

/** Cancellations each server's handler heard, by request text. */
type Heard = Set<string>;

/**
 * The test handler, steered by the request's text: `throw` throws, `err` answers NOT_FOUND,
 * `plain` a plain Error, `hang` never answers (and records its cancellation), `meta` answers
 * the `x-k` metadata, anything else is echoed.
 */
function handler(heard: Heard, grpcJs: { hits: number }, counts: boolean) {
  return (call: UnaryCall<Buffer>, callback: sendUnaryData<Buffer>): void => {
    if (counts) grpcJs.hits++;
    const text = call.request.toString();
    if (text === 'throw') throw new Error('boom');
    if (text === 'err') return callback(Object.assign(new Error('nope'), { code: Status.NOT_FOUND, details: 'not here: 100% sure' }));
    if (text === 'plain') return callback(new Error('plain failure'));
    if (text === 'hang') {
      call.once('cancelled', () => heard.add(text));
      return;
    }
    if (text === 'meta') {
      const seen = ['x-k', 'X-K', 'x-b-bin', 'grpc-timeout', 'te', 'content-type', ':path'].map((k) => call.metadata.get(k).map((v) => (Buffer.isBuffer(v) ? `bin:${v.toString()}` : v)));
      return callback(null, Buffer.from(JSON.stringify(seen)));
    }
    callback(null, call.request);
  };
}

function definition(): ServiceDefinition {
  return {
    Echo: {
      path: PATH, requestStream: false, responseStream: false, originalName: 'Echo',
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => {
        if (b.toString() === 'undecodable') throw new Error('bad bytes');
        return Buffer.from(b);
      },
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  };
}

interface Served {
  port: number;
  heard: Heard;
  /** Calls grpc-js's own handler ran. */
  grpcJs: { hits: number };
  path: UnaryPath | undefined;
  close(): void;
}

const open: (() => void)[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c();
});

/** grpc-js alone, on its own listener. */
async function grpcAlone(): Promise<Served> {
  const heard: Heard = new Set();
  const grpcJs = { hits: 0 };
  const server = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE });
  server.addService(definition(), { Echo: handler(heard, grpcJs, true) as never });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e)));
  });
  const close = (): void => server.forceShutdown();
  open.push(close);
  return { port, heard, grpcJs, path: undefined, close };
}

/** grpc-js with the direct path attached, fed by a TCP listener (as EtcdServer does). */
async function withDirectPath(): Promise<Served> {
  const heard: Heard = new Set();
  const grpcJs = { hits: 0 };
  const server = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE });
  const def = definition();
  server.addService(def, { Echo: handler(heard, grpcJs, true) as never });
  const path = new UnaryPath(MAX_RECEIVE);
  const d = def['Echo']!;
  path.add(PATH, { deserialize: d.requestDeserialize, serialize: d.responseSerialize, handler: handler(heard, grpcJs, false) as never });
  const { value: injector, attached } = UnaryPath.attach(server, path, () => server.createConnectionInjector(ServerCredentials.createInsecure()));
  expect(attached).toBe(true);
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((s) => {
    sockets.add(s);
    injector.injectConnection(s);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const close = (): void => {
    server.forceShutdown();
    for (const s of sockets) s.destroy();
    listener.close();
  };
  open.push(close);
  return { port: (listener.address() as net.AddressInfo).port, heard, grpcJs, path, close };
}

/** A gRPC message: its 5-byte prefix (compressed flag, length) and body. */
function frame(body: Buffer, compressed = false, length = body.length): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(length, 1);
  body.copy(out, 5);
  return out;
}

interface Answer {
  headers: Record<string, unknown>;
  body: string;
  trailers: Record<string, unknown>;
}

/** One raw HTTP/2 call: `headers` added to a gRPC request's, `chunks` written then ended (unless `keepOpen`). */
async function rawCall(port: number, chunks: Buffer[], headers: Record<string, string> = {}, opts: { cancelAfterMs?: number } = {}): Promise<Answer> {
  const session = http2.connect(`http://127.0.0.1:${String(port)}`);
  try {
    const req = session.request({ ':method': 'POST', ':path': headers[':path'] ?? PATH, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const answer: Answer = { headers: {}, body: '', trailers: {} };
    const data: Buffer[] = [];
    req.on('response', (h) => (answer.headers = { ...h }));
    req.on('trailers', (t: http2.IncomingHttpHeaders) => (answer.trailers = { ...t }));
    req.on('data', (c: Buffer) => data.push(c));
    for (const c of chunks) req.write(c);
    if (opts.cancelAfterMs === undefined) req.end();
    else setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), opts.cancelAfterMs);
    await new Promise<void>((resolve) => req.once('close', resolve));
    answer.body = Buffer.concat(data).toString('hex');
    return answer;
  } finally {
    session.close();
  }
}

/** An answer without what differs per response (the date). */
function comparable(a: Answer): Answer {
  const { date: _d, ...headers } = a.headers;
  return { headers, body: a.body, trailers: a.trailers };
}

const CASES: { name: string; chunks: Buffer[]; headers?: Record<string, string> }[] = [
  { name: 'a plain call', chunks: [frame(Buffer.from('hello'))] },
  { name: 'a call in pieces', chunks: [frame(Buffer.from('hello world')).subarray(0, 3), frame(Buffer.from('hello world')).subarray(3)] },
  { name: 'metadata', chunks: [frame(Buffer.from('meta'))], headers: { 'x-k': 'a, b', 'x-b-bin': `${Buffer.from('one').toString('base64')}, ${Buffer.from('two').toString('base64')}`, 'grpc-timeout': '9S' } },
  { name: 'content-type with a suffix', chunks: [frame(Buffer.from('hi'))], headers: { 'content-type': 'application/grpc+proto' } },
  { name: 'the compressed flag with no encoding', chunks: [frame(Buffer.from('flagged'), true)] },
  { name: 'a handler error with a code', chunks: [frame(Buffer.from('err'))] },
  { name: 'a handler error without one', chunks: [frame(Buffer.from('plain'))] },
  { name: 'a handler that throws', chunks: [frame(Buffer.from('throw'))] },
  { name: 'a request that does not deserialize', chunks: [frame(Buffer.from('undecodable'))] },
  { name: 'no request message', chunks: [] },
  { name: 'half a request message', chunks: [frame(Buffer.from('hello')).subarray(0, 7)] },
  { name: 'two request messages', chunks: [frame(Buffer.from('one')), frame(Buffer.from('two'))] },
  { name: 'a message over the receive limit', chunks: [frame(Buffer.from('x'), false, MAX_RECEIVE + 1)] },
  { name: 'an invalid grpc-timeout', chunks: [frame(Buffer.from('hi'))], headers: { 'grpc-timeout': 'soon' } },
  { name: 'a deadline that passes', chunks: [frame(Buffer.from('hang'))], headers: { 'grpc-timeout': '50m' } },
  { name: 'a deadline that does not', chunks: [frame(Buffer.from('hi'))], headers: { 'grpc-timeout': '5S' } },
];

describe('UnaryPath answers on the wire as grpc-js does', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const [alone, direct] = await Promise.all([grpcAlone(), withDirectPath()]);
      const expected = comparable(await rawCall(alone.port, c.chunks, c.headers));
      const actual = comparable(await rawCall(direct.port, c.chunks, c.headers));
      expect(actual).toEqual(expected);
      // The call was answered on the direct path, not handed to grpc-js.
      expect(direct.path?.served).toBe(1);
      expect(direct.grpcJs.hits).toBe(0);
    });
  }

  test('a call the client cancels: the handler hears it, on both', async () => {
    const [alone, direct] = await Promise.all([grpcAlone(), withDirectPath()]);
    for (const s of [alone, direct]) {
      await rawCall(s.port, [frame(Buffer.from('hang'))], {}, { cancelAfterMs: 50 });
      await expect.poll(() => s.heard.has('hang')).toBe(true);
    }
    expect(direct.path?.served).toBe(1);
  });
});

describe('UnaryPath leaves to grpc-js what it does not serve', () => {
  test('a compressed request, an unknown method and another content type go to grpc-js, on the same connection', async () => {
    const direct = await withDirectPath();
    const alone = await grpcAlone();
    const gz = frame(gzipSync(Buffer.from('zipped')), true);
    const cases: [Buffer[], Record<string, string>][] = [
      [[gz], { 'grpc-encoding': 'gzip' }],
      [[frame(Buffer.from('hi'))], { ':path': '/t.T/Missing' }],
      [[frame(Buffer.from('hi'))], { 'content-type': 'text/plain' }],
    ];
    for (const [chunks, headers] of cases) {
      expect(comparable(await rawCall(direct.port, chunks, headers))).toEqual(comparable(await rawCall(alone.port, chunks, headers)));
    }
    // The gzip'd call reached grpc-js's handler and was answered with its text.
    expect(direct.grpcJs.hits).toBe(1);
    expect(direct.path?.served).toBe(0);
  });

  test('a stream whose session goes away as it is answered is reset, and nothing throws out of the call', () => {
    const path = new UnaryPath(MAX_RECEIVE);
    const answers: string[] = [];
    path.add(PATH, { deserialize: (b) => b, serialize: (v) => v as Buffer, handler: (call, callback) => {
      answers.push(String(call.request));
      callback(null, call.request);
    } });
    let destroyed = 0;
    const stream = Object.assign(new EventEmitter(), {
      destroyed: false, closed: false,
      respond(): void {
        throw Object.assign(new Error('The stream has been destroyed'), { code: 'ERR_HTTP2_INVALID_STREAM' });
      },
      resume(): void {},
      destroy(): void {
        destroyed++;
      },
    });
    expect(path.serve(stream as never, { ':path': PATH, 'content-type': 'application/grpc' })).toBe(true);
    stream.emit('data', frame(Buffer.from('hi')));
    expect(() => stream.emit('end')).not.toThrow();
    expect(answers).toEqual(['hi']);
    expect(destroyed).toBe(1);
  });

  test('attach reports false and changes nothing when grpc-js keeps no HTTP/2 servers where it looks', () => {
    const fake = Object.create(Server.prototype) as Server;
    const made = UnaryPath.attach(fake, new UnaryPath(MAX_RECEIVE), () => 'made');
    expect(made).toEqual({ value: 'made', attached: false });
  });
});

describe('EtcdServer', () => {
  test("serves etcd's unary calls on the direct path and counts them in its gRPC statistics", async () => {
    const c = await startKvCluster([1]);
    open.push(() => void c.close());
    const server = c.servers.get(1)!;
    const served = (): number => (server as unknown as { unaryPath: UnaryPath }).unaryPath.served;
    const client = rawClient('KV', c.urls.get(1)!);
    open.push(() => client.close());
    expect((await callUnary(client, 'Put', { key: Buffer.from('k'), value: Buffer.from('v') })).err).toBeUndefined();
    expect((await callUnary(client, 'Range', { key: Buffer.from('k') })).res?.['count']).toBe('1');
    expect(served()).toBe(2);
    const text = server.metrics.grpc.text();
    expect(text).toContain('grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put",grpc_code="OK"} 1');
    expect(text).toContain('grpc_server_msg_received_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range"} 1');
    expect(text).toContain('grpc_server_msg_sent_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range"} 1');
  });
});
