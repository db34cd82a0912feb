import * as http2 from 'node:http2';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { admitConnection, type AdmissionPath } from '../../../src/etcd/http2/door.js';
import type { Http2InputReason } from '../../../src/etcd/http2/errors.js';
import { CLIENT_PREFACE, EMPTY_SETTINGS, FrameFlag, FrameType, frameHeader, readFrameHeader } from '../../../src/etcd/http2/frames.js';
import { HpackDecoder } from '../../../src/etcd/http2/hpack/decoder.js';
import { encodeHeaderBlock } from '../../../src/etcd/http2/hpack/encoder.js';
import { stripScheme } from '../../../src/etcd/http2/authority-rewriter.js';
import { rawConnection } from './raw-connection.js';

// The door in front of Node's own HTTP/2 server (nghttp2, which refuses an :authority with a
// scheme), over real loopback sockets: each request is answered with the :authority the server
// saw and the length of an `x-big` header, so every rewrite is checked end to end.
let h2: http2.Http2Server;
let door: net.Server;
let port = 0;
let maxSniffMs = 5000;
let maxSniffBytes = 64 * 1024;
const admitted: AdmissionPath[] = [];
const refused: Http2InputReason[] = [];
const waiters: (() => void)[] = [];

beforeAll(async () => {
  h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'x-authority': String(headers[':authority']), 'x-big': String(String(headers['x-big'] ?? '').length) });
    stream.end();
  });
  door = net.createServer((socket) => {
    admitConnection(socket, {
      inject: (c) => h2.emit('connection', c),
      onRefused: (r) => { refused.push(r); },
      onAdmitted: (p) => {
        admitted.push(p);
        for (const w of waiters.splice(0)) w();
      },
      maxSniffMs, maxSniffBytes,
    });
  });
  await new Promise<void>((resolve) => door.listen(0, '127.0.0.1', resolve));
  port = (door.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => door.close(() => resolve()));
  h2.close();
});

/** Sends requests with the given headers on one connection; resolves with the answered headers. */
async function requests(list: http2.OutgoingHttpHeaders[], options: http2.ClientSessionOptions = {}): Promise<http2.IncomingHttpHeaders[]> {
  const session = http2.connect(`http://127.0.0.1:${String(port)}`, options);
  try {
    const out: http2.IncomingHttpHeaders[] = [];
    for (const headers of list) {
      out.push(await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const req = session.request({ ':path': '/x', ...headers });
        req.on('response', (h) => { resolve(h); });
        req.on('error', reject);
        req.resume();
        req.end();
      }));
    }
    return out;
  } finally {
    session.close();
  }
}

test('stripScheme: URL-form authorities lose scheme and path; others are unchanged', () => {
  expect(stripScheme('https://127.0.0.1:2379')).toBe('127.0.0.1:2379');
  expect(stripScheme('http://[::1]:2379/')).toBe('[::1]:2379');
  expect(stripScheme('127.0.0.1:2379')).toBe('127.0.0.1:2379');
});

test('a plain :authority: the socket itself is handed over (direct)', async () => {
  const before = admitted.length;
  const [res] = await requests([{}]);
  expect(res?.['x-authority']).toBe(`127.0.0.1:${String(port)}`);
  expect(admitted.slice(before)).toEqual(['direct']);
});

test('an :authority with a scheme is rewritten on every request of the connection (dynamic table, padding, CONTINUATION)', async () => {
  const before = admitted.length;
  const authority = `http://127.0.0.1:${String(port)}`;
  const big = 'b'.repeat(40_000); // a header block over 16384 octets: HEADERS + CONTINUATION both ways
  const answers = await requests([
    { ':authority': authority },
    { ':authority': authority, 'x-big': big },
    { ':authority': authority }, // by then :authority comes from the client's dynamic table
    { ':authority': 'https://other.example:1/' },
    { ':authority': authority, 'x-big': 'short' },
  ], { paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
  expect(answers.map((h) => [h[':status'], h['x-authority'], h['x-big']])).toEqual([
    [200, `127.0.0.1:${String(port)}`, '0'],
    [200, `127.0.0.1:${String(port)}`, '40000'],
    [200, `127.0.0.1:${String(port)}`, '0'],
    [200, 'other.example:1', '0'],
    [200, `127.0.0.1:${String(port)}`, '5'],
  ]);
  expect(admitted.slice(before)).toEqual(['rewritten']);
});

describe('hand-written frames', () => {
  /** Reads server frames until the HEADERS of `streamId`; returns its decoded fields. Acknowledges SETTINGS frames if `ack`. */
  function responseHeaders(socket: net.Socket, streamId: number, ack = true): Promise<Map<string, string>> {
    const decoder = new HpackDecoder();
    let buf = Buffer.alloc(0);
    let block: Buffer[] = [];
    return new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => { reject(new Error('closed before the response')); });
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 9) {
          const h = readFrameHeader(buf, 0);
          if (buf.length < 9 + h.length) break;
          const payload = buf.subarray(9, 9 + h.length);
          buf = buf.subarray(9 + h.length);
          if (ack && h.type === FrameType.SETTINGS && (h.flags & FrameFlag.ACK) === 0) socket.write(frameHeader(0, FrameType.SETTINGS, FrameFlag.ACK, 0));
          if ((h.type === FrameType.HEADERS || h.type === FrameType.CONTINUATION) && h.streamId === streamId) {
            block.push(payload);
            if ((h.flags & FrameFlag.END_HEADERS) !== 0) {
              const fields = decoder.decode(Buffer.concat(block));
              block = [];
              resolve(new Map(fields.map((f) => [f.name, f.value])));
            }
          }
        }
      });
    });
  }

  test('HEADERS with PADDED and PRIORITY, the block split over two CONTINUATIONs, Huffman strings', async () => {
    const before = admitted.length;
    const socket = net.connect(port, '127.0.0.1');
    const answer = responseHeaders(socket, 1);
    const block = encodeHeaderBlock([
      { name: ':method', value: 'GET' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/x' },
      { name: ':authority', value: 'https://127.0.0.1:1' }, { name: 'x-big', value: 'z'.repeat(300) },
    ]);
    const pad = 7;
    const priority = Buffer.from([0, 0, 0, 0, 15]);
    const first = block.subarray(0, 20);
    const headers = Buffer.concat([
      frameHeader(1 + priority.length + first.length + pad, FrameType.HEADERS, FrameFlag.PADDED | FrameFlag.PRIORITY | FrameFlag.END_STREAM, 1),
      Buffer.from([pad]), priority, first, Buffer.alloc(pad),
    ]);
    const cont1 = Buffer.concat([frameHeader(100, FrameType.CONTINUATION, 0, 1), block.subarray(20, 120)]);
    const cont2 = Buffer.concat([frameHeader(block.length - 120, FrameType.CONTINUATION, FrameFlag.END_HEADERS, 1), block.subarray(120)]);
    socket.write(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, headers, cont1]));
    socket.write(cont2);
    const fields = await answer;
    socket.destroy();
    expect(fields.get(':status')).toBe('200');
    expect(fields.get('x-authority')).toBe('127.0.0.1:1');
    expect(fields.get('x-big')).toBe('300');
    expect(admitted.slice(before)).toEqual(['rewritten']);
  });

  test('a frame arriving one octet at a time is still read whole', async () => {
    const before = admitted.length;
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const answer = responseHeaders(socket, 1);
    const block = encodeHeaderBlock([{ name: ':method', value: 'GET' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/x' }, { name: ':authority', value: 'http://a:1' }]);
    const bytes = Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, frameHeader(block.length, FrameType.HEADERS, FrameFlag.END_HEADERS | FrameFlag.END_STREAM, 1), block]);
    for (const b of bytes) socket.write(Buffer.from([b]));
    expect((await answer).get('x-authority')).toBe('a:1');
    socket.destroy();
    expect(admitted.slice(before)).toEqual(['rewritten']);
  });
  test('without a complete first request within the time bound: handed over undecided; a late SETTINGS acknowledgement is still removed', async () => {
    maxSniffMs = 50;
    try {
      const before = admitted.length;
      const handed = new Promise<void>((resolve) => waiters.push(resolve));
      const socket = net.connect(port, '127.0.0.1');
      const answer = responseHeaders(socket, 1, false);
      socket.write(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS]));
      await handed;
      expect(admitted.slice(before)).toEqual(['undecided']);
      // Only now the acknowledgements of the door's SETTINGS and of the server's, then a request. Had
      // the first reached nghttp2, the second would be an unexpected ACK: a connection error, no answer.
      const block = encodeHeaderBlock([{ name: ':method', value: 'GET' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/x' }, { name: ':authority', value: 'late:1' }]);
      const ack = frameHeader(0, FrameType.SETTINGS, FrameFlag.ACK, 0);
      socket.write(Buffer.concat([ack, ack, frameHeader(block.length, FrameType.HEADERS, FrameFlag.END_HEADERS | FrameFlag.END_STREAM, 1), block]));
      expect((await answer).get('x-authority')).toBe('late:1');
      socket.destroy();
    } finally {
      maxSniffMs = 5000;
    }
  });
});

test('past the byte bound, the socket is handed over unchanged (undecided) and the server applies its own rules', async () => {
  maxSniffBytes = 1024;
  try {
    const before = admitted.length;
    const handed = new Promise<void>((resolve) => waiters.push(resolve));
    const { socket, closed } = rawConnection(port);
    // PING frames (type 6) on stream 0, never a request: 2 KiB of them.
    const ping = Buffer.concat([frameHeader(8, 6, 0, 0), Buffer.alloc(8)]);
    socket.write(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, ...Array.from({ length: 120 }, () => ping)]));
    await handed;
    expect(admitted.slice(before)).toEqual(['undecided']);
    socket.destroy();
    await closed;
  } finally {
    maxSniffBytes = 64 * 1024;
  }
});

test.each([
  ['garbage instead of the preface', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'preface'],
  ['HEADERS on stream 0', Buffer.concat([CLIENT_PREFACE, frameHeader(1, FrameType.HEADERS, FrameFlag.END_HEADERS, 0), Buffer.from([0x82])]), 'frame'],
  ['CONTINUATION without HEADERS', Buffer.concat([CLIENT_PREFACE, frameHeader(1, FrameType.CONTINUATION, FrameFlag.END_HEADERS, 1), Buffer.from([0x82])]), 'frame'],
  ['a DATA frame inside a header block', Buffer.concat([CLIENT_PREFACE, frameHeader(1, FrameType.HEADERS, 0, 1), Buffer.from([0x82]), frameHeader(0, FrameType.DATA, 0, 1)]), 'frame'],
  ['padding longer than the frame', Buffer.concat([CLIENT_PREFACE, frameHeader(2, FrameType.HEADERS, FrameFlag.END_HEADERS | FrameFlag.PADDED, 1), Buffer.from([9, 0x82])]), 'frame'],
  ['an HPACK integer cut short', Buffer.concat([CLIENT_PREFACE, frameHeader(1, FrameType.HEADERS, FrameFlag.END_HEADERS, 1), Buffer.from([0xff, 0x00])]).subarray(0, 24 + 10), 'hpack'],
  ['a Huffman string with bad padding', Buffer.concat([CLIENT_PREFACE, frameHeader(4, FrameType.HEADERS, FrameFlag.END_HEADERS, 1), Buffer.from([0x41, 0x82, 0xf1, 0xe2])]), 'huffman'],
  ['a header block over the bound', Buffer.concat([CLIENT_PREFACE, frameHeader(300_000, FrameType.HEADERS, 0, 1)]), 'too_large'],
])('%s: closed and counted', async (_name, bytes, reason) => {
  const before = refused.length;
  const { socket, closed } = rawConnection(port);
  socket.write(bytes);
  await closed;
  expect(refused.slice(before)).toEqual([reason]);
  // …and the door still serves.
  const [res] = await requests([{}]);
  expect(res?.[':status']).toBe(200);
});
