import { Client, credentials, Server, ServerCredentials, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { afterEach, expect, test } from 'vitest';
import { acceptFramed, coalesceWrites, FramedMessages } from '../../src/etcd/watch-writes.js';

// A bidi method whose messages are raw bytes, on a real grpc-js server and client over loopback.
const same = (b: Buffer): Buffer => b;
const method = { path: '/test.Burst/Burst', requestStream: true, responseStream: true, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same, originalName: 'Burst' };
const service = { Burst: method } as unknown as ServiceDefinition;

let server: Server | undefined;
let client: Client | undefined;
afterEach(() => {
  client?.close();
  server?.forceShutdown();
  client = undefined;
  server = undefined;
});

async function start(handler: (call: ServerDuplexStream<Buffer, Buffer>) => void): Promise<Client> {
  server = new Server();
  server.addService(service, { Burst: handler });
  const port = await new Promise<number>((resolve, reject) => {
    server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e)));
  });
  client = new Client(`127.0.0.1:${String(port)}`, credentials.createInsecure());
  return client;
}

/** Opens the stream, sends one request, and collects every response until the server ends it. */
function collect(c: Client): Promise<string[]> {
  const got: string[] = [];
  const stream = c.makeBidiStreamRequest(method.path, same, same);
  return new Promise((resolve, reject) => {
    stream.on('data', (b: Buffer) => got.push(b.toString()));
    stream.on('error', reject);
    stream.on('end', () => resolve(got));
    stream.write(Buffer.from('go'));
  });
}

test('a burst written in one turn reaches grpc-js in two hand-offs (the first write, then the rest together), in order', async () => {
  let installed: boolean | undefined;
  const handOffs: number[] = [];
  const c = await start((call) => {
    installed = coalesceWrites(call);
    const writev = (call as unknown as { _writev: (chunks: unknown[], cb: () => void) => void })._writev;
    const write = (call as unknown as { _write: (chunk: unknown, enc: string, cb: () => void) => void })._write.bind(call);
    (call as unknown as { _write: typeof write })._write = (chunk, enc, cb) => {
      handOffs.push(1);
      write(chunk, enc, cb);
    };
    (call as unknown as { _writev: typeof writev })._writev = (chunks, cb) => {
      handOffs.push(chunks.length);
      writev(chunks, cb);
    };
    call.once('data', () => {
      for (let i = 0; i < 200; i++) call.write(Buffer.from(String(i)));
      call.end();
    });
  });
  const got = await collect(c);
  expect(installed).toBe(true);
  expect(got).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  expect(handOffs).toEqual([1, 199]);
});

test('without coalescing, grpc-js takes a burst one message per completed write (what coalesceWrites replaces)', async () => {
  const handOffs: number[] = [];
  const c = await start((call) => {
    const write = (call as unknown as { _write: (chunk: unknown, enc: string, cb: () => void) => void })._write.bind(call);
    (call as unknown as { _write: typeof write })._write = (chunk, enc, cb) => {
      handOffs.push(1);
      write(chunk, enc, cb);
    };
    call.once('data', () => {
      for (let i = 0; i < 20; i++) call.write(Buffer.from(String(i)));
      call.end();
    });
  });
  expect(await collect(c)).toHaveLength(20);
  expect(handOffs).toHaveLength(20);
});

test('a stream without grpc-js inner call is left as it is', () => {
  const stream = new Writable({ objectMode: true, write: (_chunk, _enc, cb) => cb() });
  expect(coalesceWrites(stream)).toBe(false);
  expect(Object.hasOwn(stream, '_writev')).toBe(false);
});

/** `texts` as gRPC's length-prefixed messages in one Buffer. */
function framed(texts: string[]): FramedMessages {
  return new FramedMessages(Buffer.concat(texts.flatMap((t) => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(Buffer.byteLength(t), 1);
    return [prefix, Buffer.from(t)];
  })), texts.length);
}

test('framed messages reach the client as separate messages, in order with the plain writes around them, each counted as sent', async () => {
  let accepted: boolean | undefined;
  const counted: number[] = [];
  const c = await start((call) => {
    coalesceWrites(call);
    accepted = acceptFramed(call, (n) => counted.push(n));
    const out = call as unknown as Writable;
    call.once('data', () => {
      out.write(Buffer.from('a'));
      out.write(framed(['b', 'c', 'd']));
      out.write(Buffer.from('e'));
      out.write(framed(['f']));
      out.write(framed(['g', 'h']));
      out.end();
    });
  });
  expect(await collect(c)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  expect(accepted).toBe(true);
  expect(counted).toEqual([3, 1, 2]);
});

test('a stream without grpc-js inner call does not take framed messages', () => {
  const stream = new Writable({ objectMode: true, write: (_chunk, _enc, cb) => cb() });
  expect(acceptFramed(stream, () => undefined)).toBe(false);
});
