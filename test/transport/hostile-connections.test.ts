import * as net from 'node:net';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { encodeFrame } from '../../src/codec/frame.js';
import { ListenFailedError, PeerRefusedError } from '../../src/transport/errors.js';
import { Channel, encodeHandshake } from '../../src/transport/handshake.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp.js';
import type { TlsOptions } from '../../src/transport/tls.js';
import { UNIDENTIFIED_PEER } from '../../src/transport/transport.js';
import { appMsg, createPki, next, record, until } from './helpers.js';

const open: TcpTransport[] = [];
const clients: net.Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function make(id: number, options: Partial<TcpTransportOptions> = {}): Promise<TcpTransport> {
  const t = new TcpTransport({ id, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...options });
  open.push(t);
  t.on('error', () => undefined);
  await t.start();
  return t;
}

/** A raw client socket to `t`; resolves once connected. */
function dial(t: TcpTransport): Promise<net.Socket> {
  const [host, port] = t.address!.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port: Number(port) }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
    clients.push(s);
  });
}

function closed(s: net.Socket): Promise<void> {
  return s.destroyed && s.readyState === 'closed' ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));
}

function handshake(from: number, to: number): Uint8Array {
  return encodeFrame(encodeHandshake({ channel: Channel.Messages, from, to, clusterId: 'raftkit' }));
}

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

describe('connections cannot hold resources for free', () => {
  test('the handshake timeout is a deadline: a byte every 20 ms does not keep a connection open past it', async () => {
    const t = await make(2, { handshakeTimeoutMs: 300 });
    t.addPeer(1, '127.0.0.1:1');
    const s = await dial(t);
    const hs = handshake(1, 2);
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < hs.length - 1 && !s.destroyed) s.write(hs.subarray(sent, ++sent));
    }, 20);
    const refused = next(t, 'error', (e) => e instanceof PeerRefusedError && e.reason === 'bad-handshake');
    await closed(s);
    clearInterval(trickle);
    await refused;
    // The trickle (one byte per 20 ms) was far from done: the deadline closed it, not the idle timer.
    expect(sent).toBeLessThan(hs.length - 1);
  });

  test('an identified connection that carries nothing is closed after idleTimeoutMs; the peer redials', async () => {
    const t = await make(2, { idleTimeoutMs: 200 });
    t.addPeer(1, '127.0.0.1:1');
    const s = await dial(t);
    s.write(handshake(1, 2));
    await closed(s);
    expect(s.destroyed).toBe(true);
  });

  test('a failing listen names the address: port in use gives ListenFailedError', async () => {
    const a = await make(1);
    const port = Number(a.address!.split(':')[1]);
    const b = new TcpTransport({ id: 2, port });
    const err = await b.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ListenFailedError);
    expect((err as ListenFailedError).code).toBe('ERR_LISTEN_FAILED');
    expect((err as ListenFailedError).message).toContain(`127.0.0.1:${port}`);
    expect((err as ListenFailedError).message).toContain('address in use');
    await b.close();
  });

  test('hundreds of hostile connections: unidentified ones are capped, 16 MiB headers reserve memory only as bytes arrive', async () => {
    const t = await make(2, { maxUnidentifiedConnections: 64 });
    t.addPeer(1, '127.0.0.1:1');
    const rss0 = process.memoryUsage().rss;
    const ab0 = process.memoryUsage().arrayBuffers;
    const handles0 = tcpHandles();

    // 300 connections that never identify themselves.
    const idle = await Promise.all(Array.from({ length: 300 }, () => dial(t)));
    await until(() => idle.filter((s) => s.destroyed).length >= 300 - 64);
    expect(t.unidentifiedConnections).toBeLessThanOrEqual(64);
    const refusedByCap = t.stats().get(UNIDENTIFIED_PEER)!.framesRefused;
    expect(refusedByCap).toBeGreaterThanOrEqual(300 - 64);
    const handlesIdle = tcpHandles();
    for (const s of idle) s.destroy();
    await until(() => t.unidentifiedConnections === 0);

    // 100 identified connections, each announcing a 16 MiB frame and sending 10 bytes of it.
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, 16 * 1024 * 1024);
    const big = await Promise.all(Array.from({ length: 100 }, () => dial(t)));
    for (const s of big) s.write(Buffer.concat([handshake(1, 2), header, new Uint8Array(10)]));
    await until(() => t.stats().get(1)!.bytesReceived >= 100 * handshake(1, 2).length);
    // Let every chunk reach its decoder (a macrotask turn per socket read at most).
    await new Promise((r) => setImmediate(r));
    const m = process.memoryUsage();
    const figures = {
      rssGrowthMiB: Math.round((m.rss - rss0) / 2 ** 20),
      arrayBuffersGrowthMiB: Math.round((m.arrayBuffers - ab0) / 2 ** 20),
      tcpHandlesBefore: handles0,
      tcpHandlesWith300Unidentified: handlesIdle,
      tcpHandlesWith100Big: tcpHandles(),
      refusedByCap,
    };
    console.log('hostile connections:', JSON.stringify(figures));
    // 100 × 16 MiB would be 1600 MiB reserved; 100 × 64 KiB is 6.25 MiB.
    expect(figures.arrayBuffersGrowthMiB).toBeLessThan(50);
    // Both ends of every surviving connection live in this process: 64 on each side.
    expect(handlesIdle - handles0).toBeLessThanOrEqual(2 * 64 + 4);
  });
});

describe('under mutual TLS a certificate is an identity', () => {
  const pki = createPki(['ca']);
  const ca = pki.ca['ca']!;
  const certs = new Map([1, 2, 3].map((id) => [id, pki.member(`member-${id}`)]));
  afterAll(() => pki.dispose());

  const tlsFor = (certOf: number, extra: Partial<TlsOptions> = {}): TlsOptions => ({ ...certs.get(certOf)!, ca, ...extra });

  test('the default binds the member id: member 3’s valid certificate cannot speak for member 1', async () => {
    const b = await make(2, { tls: tlsFor(2) });
    const liar = await make(1, { tls: tlsFor(3) }); // transport id 1, certificate of member 3
    liar.addPeer(2, b.address!);
    b.addPeer(1, liar.address!);
    const got = record(b);
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError && e.reason === 'identity-mismatch');
    liar.send([appMsg(1, 2, 1)]);
    const [err] = await refused;
    expect(err).toMatchObject({ peer: 1 });
    expect(err.message).toContain('member-3');
    expect(got).toEqual([]);
  });

  test('the dialler checks the listener too: a listener holding member 3’s certificate is not member 2', async () => {
    const fake2 = await make(2, { tls: tlsFor(3) });
    const a = await make(1, { tls: tlsFor(1) });
    a.addPeer(2, fake2.address!);
    fake2.addPeer(1, a.address!);
    const got = record(fake2);
    const unreachable = next(a, 'unreachable', (p) => p === 2);
    a.send([appMsg(1, 2, 1)]);
    await unreachable;
    expect(got).toEqual([]);
  });

  test('bindMemberId: false relaxes it (any certificate the CA signed speaks for any member)', async () => {
    const b = await make(2, { tls: tlsFor(2, { bindMemberId: false }) });
    const other = await make(1, { tls: tlsFor(3, { bindMemberId: false }) });
    other.addPeer(2, b.address!);
    b.addPeer(1, other.address!);
    const got = next(b, 'message');
    other.send([appMsg(1, 2, 7)]);
    expect((await got)[0].index).toBe(7);
  });

  test('a TLS connection that never completes its TLS handshake is closed at the handshake deadline', async () => {
    const b = await make(2, { tls: tlsFor(2), handshakeTimeoutMs: 300 });
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError && e.reason === 'tls');
    const s = await dial(b);
    s.write(Uint8Array.of(0x16, 0x03, 0x01)); // the start of a ClientHello, and nothing more
    await closed(s);
    await refused;
  });
});
