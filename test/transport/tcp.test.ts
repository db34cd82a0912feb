import * as net from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { encodeFrame } from '../../src/codec/frame.js';
import { createMessage, MessageType, type Message } from '../../src/raft/messages.js';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { FrameRefusedError, ListenFailedError, PeerRefusedError } from '../../src/transport/errors.js';
import { Channel, encodeHandshake } from '../../src/transport/handshake.js';
import { ackFrame } from '../../src/transport/snapshot-stream.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp.js';
import { UNIDENTIFIED_PEER } from '../../src/transport/transport.js';
import { appMsg, next, record, until } from './helpers.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  vi.restoreAllMocks();
});

async function make(id: number, options: Partial<TcpTransportOptions> = {}): Promise<TcpTransport> {
  const t = new TcpTransport({ id, reconnect: { initialDelayMs: 10, maxDelayMs: 100 }, ...options });
  open.push(t);
  t.on('error', () => undefined);
  await t.start();
  return t;
}

async function pair(options: Partial<TcpTransportOptions> = {}): Promise<[TcpTransport, TcpTransport]> {
  const a = await make(1, options);
  const b = await make(2, options);
  a.addPeer(2, b.address!);
  b.addPeer(1, a.address!);
  const got = next(b, 'message');
  a.send([appMsg(1, 2, 0)]);
  await got;
  return [a, b];
}

/** A port on which nothing listens. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Dials `t` as member `from` and writes `bytes` after the handshake. */
async function rawDial(t: TcpTransport, from: number, bytes: Uint8Array[], clusterId = 'raftkit'): Promise<net.Socket> {
  const [host, port] = t.address!.split(':') as [string, string];
  const s = net.connect({ host, port: Number(port) });
  open.push({ close: () => s.destroy() });
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(encodeFrame(encodeHandshake({ channel: Channel.Messages, from, to: t.id, clusterId })));
  for (const b of bytes) s.write(b);
  return s;
}

describe('TcpTransport', () => {
  test('batches the messages of one turn into one socket write', async () => {
    const [a, b] = await pair();
    const got = record(b);
    const write = vi.spyOn(net.Socket.prototype, 'write');
    const batch: Message[] = [];
    for (let i = 1; i <= 100; i++) batch.push(appMsg(1, 2, i));
    a.send(batch.slice(0, 50));
    a.send(batch.slice(50));
    await until(() => got.length === 100);
    expect(got.map((m) => m.index)).toEqual(batch.map((m) => m.index));
    expect(write).toHaveBeenCalledTimes(1);
  });

  test('listens on every address given (etcd\'s several --listen-peer-urls): peers reach it through each', async () => {
    const a = await make(1, { alsoListen: [{ host: '127.0.0.1', port: 0 }] });
    expect(a.addresses).toHaveLength(2);
    expect(a.address).toBe(a.addresses[0]);
    expect(a.addresses[1]).not.toBe(a.addresses[0]);
    for (const [id, where] of [[2, a.addresses[0]!], [3, a.addresses[1]!]] as const) {
      const b = await make(id);
      b.addPeer(1, where);
      a.addPeer(id, b.address!);
      const got = next(a, 'message');
      b.send([appMsg(id, 1, 7)]);
      expect((await got)[0]).toMatchObject({ from: id, to: 1, index: 7 });
    }
  });

  test('when one address cannot be listened on, start fails with ListenFailedError naming it and listens nowhere', async () => {
    const busy = await make(9);
    const busyPort = Number(busy.address!.split(':')[1]);
    const free = await deadPort();
    const t = new TcpTransport({ id: 1, port: free, alsoListen: [{ host: '127.0.0.1', port: busyPort }] });
    open.push(t);
    const err = await t.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ListenFailedError);
    expect((err as Error).message).toContain(`127.0.0.1:${busyPort}`);
    expect(t.addresses).toEqual([]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: free }, () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  test('refuses a bad alsoListen address with ConfigInvalidError', () => {
    expect(() => new TcpTransport({ id: 1, alsoListen: [{ host: '127.0.0.1', port: 70000 }] })).toThrow(ConfigInvalidError);
    expect(() => new TcpTransport({ id: 1, alsoListen: [{ host: '', port: 1 }] })).toThrow(ConfigInvalidError);
  });

  test('a full queue drops messages with unreachable and stays bounded', async () => {
    const a = await make(1, { maxQueuedMessages: 10 });
    a.addPeer(2, `127.0.0.1:${await deadPort()}`);
    const unreachable = next(a, 'unreachable', (p) => p === 2);
    a.send(Array.from({ length: 50 }, (_, i) => appMsg(1, 2, i)));
    await unreachable;
    const st = a.stats().get(2)!;
    expect(st.sendFailures).toBe(40);
    expect(st.queued).toBeLessThanOrEqual(10);
  });

  test('respects socket backpressure: stops writing on a full socket, then drops beyond the byte bound', async () => {
    // A peer that accepts and never reads.
    const sink = net.createServer((s) => s.pause());
    open.push({ close: () => new Promise((r) => sink.close(r)) });
    const held: net.Socket[] = [];
    sink.on('connection', (s) => held.push(s));
    open.push({ close: () => held.forEach((s) => s.destroy()) });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const a = await make(1, { maxQueuedBytes: 4 * 1024 * 1024 });
    a.addPeer(2, `127.0.0.1:${(sink.address() as net.AddressInfo).port}`);
    let dropped = false;
    a.on('unreachable', () => (dropped = true));
    const payload = new Uint8Array(256 * 1024);
    for (let turn = 0; turn < 1000 && !dropped; turn++) {
      a.send(Array.from({ length: 4 }, (_, i) => appMsg(1, 2, turn * 4 + i, payload)));
      await new Promise((r) => setImmediate(r));
    }
    const st = a.stats().get(2)!;
    expect(dropped).toBe(true);
    expect(st.sendFailures).toBeGreaterThan(0);
    expect(st.queued).toBeGreaterThan(0); // held back while the socket waits for 'drain'
    expect(st.queued * payload.length).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  test('reconnects with backoff after a peer restarts on the same port', async () => {
    const [a, b] = await pair({ reconnect: { initialDelayMs: 5, maxDelayMs: 40 } });
    const port = Number(b.address!.split(':')[1]);
    await b.close();
    // Like a leader's heartbeats, a keeps sending; reconnection is on demand, so while b is
    // down every dial fails and is retried after a growing delay.
    const timer = setInterval(() => a.send([appMsg(1, 2, 2)]), 10);
    try {
      await until(() => a.stats().get(2)!.connectFailures >= 3);
      const b2 = await make(2, { port });
      b2.addPeer(1, a.address!);
      const got = record(b2);
      await until(() => got.some((m) => m.index === 2));
    } finally {
      clearInterval(timer);
    }
    expect(a.stats().get(2)!.connects).toBeGreaterThanOrEqual(2);
  });

  test('refuses and counts a malformed frame, closes that connection, keeps serving others', async () => {
    const [a, b] = await pair();
    const refused = next(b, 'error', (e) => e instanceof FrameRefusedError);
    const s = await rawDial(b, 1, [encodeFrame(new Uint8Array([1, 1, 0xc1, 0xc1]))]);
    const closed = new Promise((r) => s.once('close', r));
    const [err] = await refused;
    await closed;
    expect(err).toMatchObject({ reason: 'malformed', code: 'ERR_FRAME_REFUSED' });
    expect(b.stats().get(1)!.framesRefused).toBe(1);
    const got = next(b, 'message', (m) => m.index === 9);
    a.send([appMsg(1, 2, 9)]);
    await got;
  });

  test('refuses and counts an oversize frame before reading its payload', async () => {
    const [, b] = await pair({ maxFrameSize: 64 * 1024 });
    const refused = next(b, 'error', (e) => e instanceof FrameRefusedError);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, 100 * 1024 * 1024);
    await rawDial(b, 1, [header]);
    const [err] = await refused;
    expect(err).toMatchObject({ reason: 'oversize' });
    expect(b.stats().get(1)!.framesRefused).toBe(1);
  });

  test.each([
    { name: 'garbage instead of a handshake', want: 'bad-handshake', raw: true, from: 1, cluster: 'raftkit' },
    { name: 'another cluster', want: 'wrong-cluster', raw: false, from: 1, cluster: 'other' },
    { name: 'a member that is not a peer', want: 'unknown-peer', raw: false, from: 7, cluster: 'raftkit' },
  ])('refuses a connection from $name', async ({ want, raw, from, cluster }) => {
    const [, b] = await pair();
    const got = record(b);
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError);
    if (raw) {
      const [host, port] = b.address!.split(':') as [string, string];
      const s = net.connect({ host, port: Number(port) }, () => s.write(encodeFrame(new Uint8Array(30).fill(7))));
      s.on('error', () => undefined);
      open.push({ close: () => s.destroy() });
    } else {
      await rawDial(b, from, [encodeFrame(new Uint8Array([1]))], cluster);
    }
    const [err] = await refused;
    expect(err).toMatchObject({ reason: want, code: 'ERR_PEER_REFUSED' });
    expect(got).toEqual([]);
    expect(b.stats().get(UNIDENTIFIED_PEER)!.framesRefused).toBe(1);
  });

  test('streams a multi-MB snapshot in chunks on its own connection while heartbeats keep flowing', async () => {
    const [a, b] = await pair({ snapshotChunkSize: 16 * 1024 });
    const data = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 31) % 256);
    const snap = createMessage({
      type: MessageType.MsgSnap,
      from: 1,
      to: 2,
      term: 2,
      snapshot: { data, metadata: { index: 1000, term: 2, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
    });
    let beatsBeforeSnap = 0;
    let snapArrived = false;
    b.on('message', (m) => {
      if (m.type === MessageType.MsgSnap) snapArrived = true;
      else if (m.type === MessageType.MsgHeartbeat && !snapArrived) beatsBeforeSnap++;
    });
    const received = next(b, 'message', (m) => m.type === MessageType.MsgSnap);
    const status = next(a, 'snapshot-status', (p) => p === 2);
    a.send([snap]);
    let beat = 0;
    const heartbeats = setInterval(() => a.send([createMessage({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 2, index: ++beat })]), 1);
    try {
      const [m] = await received;
      expect(Buffer.from(m.snapshot!.data).equals(Buffer.from(data))).toBe(true); // toEqual is slow on 8 MB
      expect((await status)[1]).toBe('finish');
    } finally {
      clearInterval(heartbeats);
    }
    expect(beatsBeforeSnap).toBeGreaterThan(0);
    expect(a.stats().get(2)!.snapshotsSent).toBe(1);
  });

  test('reports snapshot-status failure when the peer refuses or cannot be reached', async () => {
    const [a, b] = await pair({ maxSnapshotSize: 1024 });
    const big = createMessage({
      type: MessageType.MsgSnap,
      from: 1,
      to: 2,
      term: 2,
      snapshot: { data: new Uint8Array(64 * 1024), metadata: { index: 5, term: 2, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
    });
    const refused = next(b, 'error', (e) => e instanceof FrameRefusedError && e.reason === 'oversize');
    const failed = next(a, 'snapshot-status', (p, s) => p === 2 && s === 'failure');
    a.send([big]);
    await Promise.all([refused, failed]);
    a.addPeer(3, `127.0.0.1:${await deadPort()}`);
    const failed3 = next(a, 'snapshot-status', (p, s) => p === 3 && s === 'failure');
    a.send([{ ...big, to: 3 }]);
    await failed3;
    expect(a.stats().get(3)!.snapshotsFailed).toBe(1);
  });

  test('does not report a snapshot superseded by a newer one: the outcome belongs to the newer transfer', async () => {
    // A follower that accepts connections but answers nothing yet, like a member just
    // resumed with SIGCONT that has not read its sockets. Raft sends a new MsgSnap only after
    // it gave up on the previous one, so a `failure` for the aborted transfer would be
    // taken as the outcome of the new one: the leader would leave StateSnapshot, send yet
    // another snapshot at the next heartbeat response, abort this one, and so on.
    const a = await make(1);
    const accepted: net.Socket[] = [];
    const stalled = net.createServer((s) => {
      s.on('error', () => undefined);
      accepted.push(s);
    });
    open.push({ close: () => (accepted.forEach((s) => s.destroy()), stalled.close()) });
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    a.addPeer(2, `127.0.0.1:${(stalled.address() as net.AddressInfo).port}`);
    const snap = (index: number): Message =>
      createMessage({
        type: MessageType.MsgSnap,
        from: 1,
        to: 2,
        term: 2,
        snapshot: { data: new Uint8Array(100), metadata: { index, term: 2, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
      });
    const statuses: string[] = [];
    a.on('snapshot-status', (p, s) => statuses.push(`${p}:${s}`));
    a.send([snap(5)]);
    await until(() => accepted.length === 1);
    a.send([snap(6)]);
    await until(() => accepted.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(statuses).toEqual([]);
    accepted[1]!.write(ackFrame(true));
    await until(() => statuses.length > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(statuses).toEqual(['2:finish']);
    expect(a.stats().get(2)).toMatchObject({ snapshotsSent: 1, snapshotsFailed: 0 });
  });
});
