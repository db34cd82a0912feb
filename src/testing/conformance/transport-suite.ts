import assert from 'node:assert/strict';
import { EntryType } from '../../raft/entry.js';
import { createMessage, MessageType, type Message } from '../../raft/messages.js';
import type { PeerStats, Transport, TransportEvents } from '../../transport/transport.js';

/** Options the suite passes to {@link TransportConformanceOptions.factory}. */
export interface TransportFactoryOptions {
  /** The `maxFrameSize` the transport must use, when the test needs a small one. */
  maxFrameSize?: number;
}

/** What {@link runTransportConformance} needs. */
export interface TransportConformanceOptions {
  /**
   * The test runner's `test` function (vitest's, `node:test`'s, …): called once per test with
   * its name and an async body. The suite never imports a runner.
   */
  test: (name: string, fn: () => Promise<void>) => unknown;
  /**
   * Creates a new, not yet started transport for member `id`. The suite starts, wires (with
   * `addPeer` and `address`) and closes every transport it creates. It may call the factory
   * again for an id whose previous transport it closed (a restart).
   */
  factory: (id: number, options: TransportFactoryOptions) => Transport | Promise<Transport>;
  /** Runs after each test, after the suite closed its transports (for example to close a network). */
  teardown?: () => void | Promise<void>;
  /** A prefix for every test name, such as `'tcp: '`. Default `''`. */
  prefix?: string;
  /** How long any one expected event may take, in milliseconds. Default 10 000. */
  timeoutMs?: number;
}

type Member = Transport;

class Fixture {
  readonly #created: Transport[] = [];
  readonly options: TransportConformanceOptions;

  constructor(options: TransportConformanceOptions) {
    this.options = options;
  }

  async make(id: number, options: TransportFactoryOptions = {}): Promise<Member> {
    const t = await this.options.factory(id, options);
    this.#created.push(t);
    t.on('error', () => undefined); // expected errors are awaited explicitly
    await t.start();
    return t;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#created.map((t) => t.close()));
  }
}

function link(a: Member, b: Member): void {
  a.addPeer(b.id, addressOf(b));
  b.addPeer(a.id, addressOf(a));
}

function addressOf(t: Member): string {
  assert.ok(t.address !== undefined, `transport ${t.id} has no address after start()`);
  return t.address;
}

function msg(from: number, to: number, index: number, data?: Uint8Array): Message {
  const entries = data === undefined ? [] : [{ term: 1, index, type: EntryType.EntryNormal, data }];
  return createMessage({ type: MessageType.MsgApp, from, to, term: 1, index, logTerm: 1, commit: index, entries });
}

/**
 * Resolves with the arguments of the first `event` on transport `t` that satisfies `match`,
 * and rejects after `timeoutMs`. The listener and the timer are always removed.
 */
export function waitForTransportEvent<E extends keyof TransportEvents>(
  t: Transport,
  event: E,
  match: (...args: Parameters<TransportEvents[E]>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<TransportEvents[E]>> {
  return new Promise((resolve, reject) => {
    const listener = (...args: Parameters<TransportEvents[E]>): void => {
      if (!match(...args)) return;
      clearTimeout(timer);
      t.off(event, listener as never);
      resolve(args);
    };
    const timer = setTimeout(() => {
      t.off(event, listener as never);
      reject(new Error(`transport ${t.id}: no matching '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    t.on(event, listener as never);
  });
}

/**
 * Sends `make()` from `from` every `everyMs` until `to` receives a message satisfying `match`
 * (for links that must first (re)connect), failing after `timeoutMs`.
 */
async function sendUntilReceived(from: Member, to: Member, make: () => Message, match: (m: Message) => boolean, timeoutMs: number, everyMs = 25): Promise<Message> {
  const got = waitForTransportEvent(to, 'message', match, timeoutMs);
  const timer = setInterval(() => {
    if (from.status === 'open') from.send([make()]);
  }, everyMs);
  try {
    from.send([make()]);
    return (await got)[0];
  } finally {
    clearInterval(timer);
  }
}

function collect(t: Member, count: number, timeoutMs: number, from?: number): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const got: Message[] = [];
    const listener = (m: Message): void => {
      if (from !== undefined && m.from !== from) return;
      got.push(m);
      if (got.length === count) done(undefined);
    };
    const done = (err: Error | undefined): void => {
      clearTimeout(timer);
      t.off('message', listener);
      if (err === undefined) resolve(got);
      else reject(err);
    };
    const timer = setTimeout(() => done(new Error(`transport ${t.id}: received ${got.length} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
    t.on('message', listener);
  });
}

function statsOf(t: Member, peer: number): PeerStats {
  const st = t.stats().get(peer);
  assert.ok(st !== undefined, `transport ${t.id} has no stats for peer ${peer}`);
  return st;
}

const HANDLE_TYPES = new Set(['TCPServerWrap', 'TCPSocketWrap', 'TCPWRAP', 'TLSWrap', 'PipeWrap', 'Timeout']);

function openHandles(): number {
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  return info.filter((t) => HANDLE_TYPES.has(t)).length;
}

/**
 * The conformance suite every `Transport` must pass (STYLE rule 12): delivery, ordering per
 * peer, deferral before `start()`, reconnect after a peer restarts, refusal of unknown
 * senders and of oversize frames, snapshots, and a `close()` that releases everything.
 * Assertions use `node:assert`; the runner is injected.
 *
 * @example
 * ```ts
 * import { test } from 'vitest';
 * const network = new InProcessNetwork({ seed: 1 });
 * runTransportConformance({ test, factory: (id, o) => network.transport(id, o) });
 * ```
 */
export function runTransportConformance(options: TransportConformanceOptions): void {
  const prefix = options.prefix ?? '';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const define = (name: string, body: (f: Fixture) => Promise<void>): void => {
    options.test(`${prefix}${name}`, async () => {
      const f = new Fixture(options);
      try {
        await body(f);
      } finally {
        await f.closeAll();
        await options.teardown?.();
      }
    });
  };

  define('delivers messages both ways, decoded intact', async (f) => {
    const [a, b] = [await f.make(1), await f.make(2)];
    link(a, b);
    const data = new Uint8Array([1, 2, 3, 250]);
    const got = await sendUntilReceived(a, b, () => msg(1, 2, 7, data), (m) => m.index === 7, timeoutMs);
    assert.deepEqual(got, msg(1, 2, 7, data));
    const back = await sendUntilReceived(b, a, () => msg(2, 1, 8), (m) => m.index === 8, timeoutMs);
    assert.equal(back.from, 2);
    assert.ok(statsOf(a, 2).messagesSent >= 1 && statsOf(b, 1).messagesReceived >= 1);
  });

  define('delivers in send order per peer, across turns and batches', async (f) => {
    const [a, b, c] = [await f.make(1), await f.make(2), await f.make(3)];
    link(a, b);
    link(a, c);
    await sendUntilReceived(a, b, () => msg(1, 2, 0), (m) => m.index === 0, timeoutMs);
    await sendUntilReceived(a, c, () => msg(1, 3, 0), (m) => m.index === 0, timeoutMs);
    const atB = collect(b, 300, timeoutMs, 1);
    const atC = collect(c, 300, timeoutMs, 1);
    for (let turn = 0; turn < 10; turn++) {
      const batch: Message[] = [];
      for (let i = 1; i <= 30; i++) batch.push(msg(1, 2, turn * 30 + i), msg(1, 3, turn * 30 + i));
      a.send(batch);
      await new Promise((r) => setImmediate(r));
    }
    for (const got of [await atB, await atC]) assert.deepEqual(got.map((m) => m.index), Array.from({ length: 300 }, (_, i) => i + 1));
  });

  define('queues messages sent before start() and delivers them once started', async (f) => {
    const b = await f.make(2);
    const a = await f.options.factory(1, {});
    try {
      a.on('error', () => undefined);
      assert.equal(a.status, 'opening');
      a.addPeer(2, addressOf(b));
      // b must accept a before a exists on the network; b never sends to a here, so any
      // well-formed address of this transport kind will do: b's own.
      b.addPeer(1, addressOf(b));
      const got = collect(b, 2, timeoutMs);
      a.send([msg(1, 2, 5)]);
      a.send([msg(1, 2, 6)]);
      await a.start();
      assert.equal(a.status, 'open');
      assert.deepEqual((await got).map((m) => m.index), [5, 6]);
    } finally {
      await a.close();
    }
  });

  define('emits unreachable for a message to a member that is not a peer', async (f) => {
    const a = await f.make(1);
    const un = waitForTransportEvent(a, 'unreachable', (p) => p === 9, timeoutMs);
    a.send([msg(1, 9, 1)]);
    await un;
  });

  define('send refuses what is not a wire message of this member', async (f) => {
    const a = await f.make(1);
    assert.throws(() => a.send([msg(2, 3, 1)]), TypeError);
    assert.throws(() => a.send([createMessage({ type: MessageType.MsgHup, from: 1, to: 2 })]), TypeError);
    assert.throws(() => a.send([msg(1, 1, 1)]), TypeError);
  });

  define('reconnects after a peer restarts', async (f) => {
    const a = await f.make(1);
    const b = await f.make(2);
    link(a, b);
    await sendUntilReceived(a, b, () => msg(1, 2, 1), (m) => m.index === 1, timeoutMs);
    await b.close();
    const b2 = await f.make(2);
    link(a, b2);
    await sendUntilReceived(a, b2, () => msg(1, 2, 2), (m) => m.index === 2, timeoutMs);
    await sendUntilReceived(b2, a, () => msg(2, 1, 3), (m) => m.index === 3, timeoutMs);
  });

  define('refuses messages from a sender that is not a peer', async (f) => {
    const a = await f.make(1);
    const b = await f.make(2);
    a.addPeer(2, addressOf(b)); // b does not know a
    let delivered = 0;
    b.on('message', () => delivered++);
    const refused = waitForTransportEvent(b, 'error', (e) => (e as { code?: string }).code === 'ERR_PEER_REFUSED', timeoutMs);
    const timer = setInterval(() => a.send([msg(1, 2, 1)]), 25);
    try {
      a.send([msg(1, 2, 1)]);
      await refused;
    } finally {
      clearInterval(timer);
    }
    assert.equal(delivered, 0);
    b.addPeer(1, addressOf(a));
    await sendUntilReceived(a, b, () => msg(1, 2, 2), (m) => m.index === 2, timeoutMs);
  });

  define('refuses an oversize frame, counts it and keeps working', async (f) => {
    const a = await f.make(1);
    const b = await f.make(2, { maxFrameSize: 1024 });
    link(a, b);
    let big = 0;
    b.on('message', (m) => {
      if (m.index === 1) big++;
    });
    const refused = waitForTransportEvent(b, 'error', (e) => (e as { code?: string; reason?: string }).code === 'ERR_FRAME_REFUSED' && (e as { reason?: string }).reason === 'oversize', timeoutMs);
    a.send([msg(1, 2, 1, new Uint8Array(4096))]);
    await refused;
    assert.equal(big, 0);
    assert.ok(statsOf(b, 1).framesRefused >= 1);
    await sendUntilReceived(a, b, () => msg(1, 2, 2), (m) => m.index === 2, timeoutMs);
  });

  define('drops a message larger than its own maxFrameSize with unreachable', async (f) => {
    const a = await f.make(1, { maxFrameSize: 1024 });
    const b = await f.make(2);
    link(a, b);
    const un = waitForTransportEvent(a, 'unreachable', (p) => p === 2, timeoutMs);
    a.send([msg(1, 2, 1, new Uint8Array(4096))]);
    await un;
    assert.ok(statsOf(a, 2).sendFailures >= 1);
  });

  define('sends a snapshot and reports snapshot-status finish', async (f) => {
    const [a, b] = [await f.make(1), await f.make(2)];
    link(a, b);
    await sendUntilReceived(a, b, () => msg(1, 2, 0), (m) => m.index === 0, timeoutMs);
    const data = new Uint8Array(100_000).map((_, i) => i % 251);
    const snap = createMessage({
      type: MessageType.MsgSnap,
      from: 1,
      to: 2,
      term: 3,
      snapshot: { data, metadata: { index: 50, term: 3, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
    });
    const got = waitForTransportEvent(b, 'message', (m) => m.type === MessageType.MsgSnap, timeoutMs);
    const status = waitForTransportEvent(a, 'snapshot-status', (p) => p === 2, timeoutMs);
    a.send([snap]);
    assert.deepEqual((await got)[0], snap);
    assert.equal((await status)[1], 'finish');
  });

  define('close() stops everything and refuses later calls', async (f) => {
    const [a, b] = [await f.make(1), await f.make(2)];
    link(a, b);
    await sendUntilReceived(b, a, () => msg(2, 1, 1), (m) => m.index === 1, timeoutMs);
    let after = 0;
    await a.close();
    a.on('message', () => after++);
    a.on('unreachable', () => after++);
    assert.equal(a.status, 'closed');
    assert.throws(() => a.send([msg(1, 2, 1)]), (e: unknown) => (e as { code?: string }).code === 'ERR_NOT_OPEN');
    await assert.rejects(a.start(), (e: unknown) => (e as { code?: string }).code === 'ERR_NOT_OPEN');
    await a.close(); // idempotent
    const un = waitForTransportEvent(b, 'unreachable', (p) => p === 1, timeoutMs);
    const timer = setInterval(() => b.send([msg(2, 1, 2)]), 25);
    try {
      b.send([msg(2, 1, 2)]);
      await un;
    } finally {
      clearInterval(timer);
    }
    assert.equal(after, 0);
  });

  define('close() releases every socket and timer', async (f) => {
    const before = openHandles();
    const [a, b] = [await f.make(1), await f.make(2)];
    link(a, b);
    await sendUntilReceived(a, b, () => msg(1, 2, 1), (m) => m.index === 1, timeoutMs);
    await sendUntilReceived(b, a, () => msg(2, 1, 1), (m) => m.index === 1, timeoutMs);
    await Promise.all([a.close(), b.close()]);
    await new Promise((r) => setImmediate(r));
    assert.ok(openHandles() <= before, `handles before: ${before}, after close: ${openHandles()}`);
  });
}
