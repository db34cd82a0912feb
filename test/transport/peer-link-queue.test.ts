import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { expect, test } from 'vitest';
import { PeerLink, type PeerLinkContext } from '../../src/transport/peer-link.js';
import type { PeerStats } from '../../src/transport/transport.js';

// An encoded frame is usually a view into the encoder's shared write buffer (msgpackr's, several
// times the frame's size). A frame that waits in a peer's queue (the peer is down) must not keep
// that whole buffer alive: the queue of a dead peer would otherwise pin many times its bound.

/** A socket that connects only when the test says so, and records what is written. */
class FakeSocket extends EventEmitter {
  written: Uint8Array[] = [];
  write(b: Uint8Array): boolean {
    this.written.push(b);
    return true;
  }
  /** The bytes of each write after the first `n`. */
  writesSince(n: number): number[][] {
    return this.written.slice(n).map((w) => Array.from(w));
  }
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
  setTimeout(): this { return this; }
  destroy(): this { return this; }
}

function link(): { link: PeerLink; socket: FakeSocket; connect: () => void } {
  const socket = new FakeSocket();
  let onReady: (() => void) | undefined;
  const stats = { messagesSent: 0, bytesSent: 0, sendFailures: 0, connects: 0, connectFailures: 0 } as unknown as PeerStats;
  const ctx: PeerLinkContext = {
    peer: 2,
    connect: (_host, _port, ready) => {
      onReady = ready;
      return socket as unknown as net.Socket;
    },
    handshake: new Uint8Array([1]),
    maxQueuedMessages: 100,
    maxQueuedBytes: 1 << 20,
    reconnect: { initialDelayMs: 50, maxDelayMs: 2000, jitter: 0 },
    random: () => 0,
    connectTimeoutMs: 1000,
    stats: () => stats,
    unreachable: () => undefined,
    track: () => undefined,
  };
  return { link: new PeerLink(ctx, '127.0.0.1:1'), socket, connect: () => onReady?.() };
}

/** A 100-byte frame cut from a 1 MiB buffer, as an encoder hands it out. */
function sharedFrame(fill: number): Uint8Array {
  const f = new Uint8Array(new ArrayBuffer(1 << 20), 4096, 100);
  f.fill(fill);
  return f;
}

test('a frame queued while the peer is not connected is kept as a compact copy, not a view that pins the encoder\'s buffer', async () => {
  const { link: l, socket, connect } = link();
  l.enqueue(sharedFrame(7));
  await Promise.resolve(); // the microtask flush dials; nothing is written yet
  expect(l.queued).toBe(1);
  connect();
  const frame = socket.written.at(-1)!;
  expect(frame.byteLength).toBe(100);
  expect(frame.buffer.byteLength).toBe(100);
  expect(frame.every((b) => b === 7)).toBe(true);
  l.close();
});

/** Resolves at the check phase of the event loop's current turn (after the immediates queued before it). */
function checkPhase(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A one-byte frame. */
function byte(b: number): Uint8Array {
  return new Uint8Array([b]);
}

/** A link whose connection is up and whose first flush (made as it connected) is a turn behind. */
async function connectedLink(): Promise<{ link: PeerLink; socket: FakeSocket }> {
  const r = link();
  r.link.enqueue(sharedFrame(1));
  await Promise.resolve();
  r.connect();
  await checkPhase();
  await checkPhase();
  return r;
}

test('a frame written at the next flush is passed on as it is (no copy on the live path)', async () => {
  const { link: l, socket, connect } = link();
  l.enqueue(sharedFrame(1));
  await Promise.resolve();
  connect();
  await checkPhase();
  const live = sharedFrame(2);
  l.enqueue(live);
  await Promise.resolve();
  expect(socket.written.at(-1)).toBe(live);
  l.close();
});

test('each flush writes exactly the frames queued since the previous one, in order, whatever the batch sizes', async () => {
  const { link: l, socket, connect } = link();
  l.enqueue(sharedFrame(1));
  await Promise.resolve();
  connect();
  const frame = (b: number): Uint8Array => new Uint8Array([b, b]);
  const batches = [[3], [4, 5, 6], [7], [8, 9]];
  for (const batch of batches) {
    await checkPhase();
    await checkPhase();
    for (const b of batch) l.enqueue(frame(b));
    expect(l.queued).toBe(batch.length);
    await Promise.resolve();
    expect(l.queued).toBe(0);
  }
  expect(socket.written.slice(-batches.length).map((w) => Array.from(w))).toEqual(batches.map((bs) => bs.flatMap((b) => [b, b])));
  l.close();
});

// Under load a leader flushed a batch to each follower after every socket read and every
// request, a write system call each: a quarter of its busy time. The first batch of a turn of the
// event loop still goes out at once (a 1-in-flight put waits on it); the rest wait for the turn's
// check phase and leave together.
test('the first batch of a turn is written at once; later batches of the same turn leave together at its check phase', async () => {
  const { link: l, socket } = await connectedLink();
  const before = socket.written.length;
  l.enqueue(byte(1));
  await Promise.resolve();
  expect(socket.written.length).toBe(before + 1);
  for (const b of [2, 3, 4]) {
    l.enqueue(byte(b));
    await Promise.resolve();
  }
  expect(l.queued).toBe(3);
  expect(socket.written.length).toBe(before + 1);
  await checkPhase();
  expect(l.queued).toBe(0);
  expect(socket.writesSince(before)).toEqual([[1], [2, 3, 4]]);
  // The next turn's first batch goes out at once again.
  await checkPhase();
  l.enqueue(byte(5));
  await Promise.resolve();
  expect(socket.writesSince(before + 2)).toEqual([[5]]);
  l.close();
});

// A flush at the check phase is its turn's last write and leaves the link unmarked: a batch
// queued after it (here later in that check phase) does not wait for another turn's check phase.
test('after a flush at the check phase, the next batch is written at once', async () => {
  const { link: l, socket } = await connectedLink();
  const before = socket.written.length;
  l.enqueue(byte(1));
  await Promise.resolve();
  l.enqueue(byte(2));
  await checkPhase();
  expect(socket.writesSince(before)).toEqual([[1], [2]]);
  l.enqueue(byte(3));
  await Promise.resolve();
  expect(socket.writesSince(before)).toEqual([[1], [2], [3]]);
  l.close();
});
