import { afterEach, describe, expect, test } from 'vitest';
import { createMessage, MessageType, type Message } from '../../src/raft/messages.js';
import { runTransportConformance } from '../../src/testing/conformance/transport-suite.js';
import { SimTransport } from '../../src/testing/sim/sim-transport.js';
import { Trace } from '../../src/testing/sim/trace.js';
import { ForwardingTransport } from '../../src/transport/forwarding-transport.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import type { TransportEvents } from '../../src/transport/transport.js';
import { appMsg, connectPair, next, until } from './helpers.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('conformance: ForwardingTransport over TcpTransport', () => {
  runTransportConformance({
    test,
    factory: (id, options) => new ForwardingTransport(new TcpTransport({ id, ...options, reconnect: { initialDelayMs: 10, maxDelayMs: 100 } })),
  });
});

function tcpPair(): Promise<[ForwardingTransport, ForwardingTransport]> {
  const [a, b] = [1, 2].map((id) => new ForwardingTransport(new TcpTransport({ id, reconnect: { initialDelayMs: 10, maxDelayMs: 100 } })));
  open.push(a!, b!);
  return connectPair(a!, b!);
}

function snapMsg(): Message {
  const confState = { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  return createMessage({ type: MessageType.MsgSnap, from: 1, to: 2, term: 2, snapshot: { data: new Uint8Array([1]), metadata: { index: 10, term: 2, confState } } });
}

async function* chunks(n: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < n; i++) yield await Promise.resolve(new Uint8Array(1024).fill(i));
}

test('the optional members exist exactly when the inner transport has them', () => {
  const inProcess = new ForwardingTransport(new InProcessNetwork().transport(1));
  expect(inProcess.sendSnapshotStream).toBeUndefined();
  expect(inProcess.maxFrameSize).toBe(new InProcessNetwork().transport(2).maxFrameSize);
  expect(() => inProcess.checkAddress?.('tcp://nowhere')).toThrow(/inproc:\/\/<id>/);
  const tcp = new ForwardingTransport(new TcpTransport({ id: 1 }));
  expect(typeof tcp.sendSnapshotStream).toBe('function');
  expect(typeof tcp.checkAddress).toBe('function');
  const bare = new ForwardingTransport(new ForwardingTransport(new InProcessNetwork().transport(3)));
  expect(bare.checkAddress).toBeDefined();
  expect(bare.sendSnapshotStream).toBeUndefined();
});

test('a streamed snapshot goes through wrappers at both ends, body and outcome included', async () => {
  const [a, b] = await tcpPair();
  let bytes = 0;
  b.on('snapshot-stream', (m, body, settle) => {
    void (async () => {
      for await (const c of body) bytes += c.length;
      expect(m.snapshot!.metadata.index).toBe(10);
      settle(true);
    })();
  });
  const status = next(a, 'snapshot-status', (peer) => peer === 2);
  a.sendSnapshotStream!(snapMsg(), chunks(64));
  expect(await status).toEqual([2, 'finish']);
  expect(bytes).toBe(64 * 1024);
});

test('a streamed snapshot nobody listens to on the wrapper is refused', async () => {
  const [a] = await tcpPair();
  const status = next(a, 'snapshot-status', (peer) => peer === 2);
  a.sendSnapshotStream!(snapMsg(), chunks(4));
  expect(await status).toEqual([2, 'failure']);
});

test('a subclass sees every outgoing message and every incoming event, and can drop them', async () => {
  class Counting extends ForwardingTransport {
    sent = 0;
    readonly events: string[] = [];
    drop = false;
    override send(messages: readonly Message[]): void {
      this.sent += messages.length;
      super.send(messages);
    }
    protected override _forward<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
      this.events.push(event);
      if (!this.drop) super._forward(event, ...args);
    }
  }
  const network = new InProcessNetwork();
  const [a, b] = await connectPair(new Counting(network.transport(1)), new Counting(network.transport(2)));
  open.push(a, b);
  const got: number[] = [];
  b.on('message', (m) => got.push(m.index));
  a.send([appMsg(1, 2, 1)]);
  await next(b, 'message');
  b.drop = true;
  a.send([appMsg(1, 2, 2)]);
  await until(() => b.events.length === 2);
  b.drop = false;
  a.send([appMsg(1, 2, 3)]);
  await next(b, 'message');
  expect(got).toEqual([1, 3]);
  expect(a.sent).toBe(3);
  expect(b.events).toEqual(['message', 'message', 'message']);
});

test('a streamed snapshot the simulator drops (held by a pause when its member crashes, or arriving at a dead member) is settled as refused', async () => {
  for (const when of ['held', 'dead'] as const) {
    const inner = new InProcessNetwork().transport(2);
    const sim = new SimTransport(inner, new Trace(() => 0));
    sim.on('snapshot-stream', (_m, _body, settle) => settle(true));
    const outcomes: boolean[] = [];
    if (when === 'held') sim.pause();
    else await sim.kill();
    // The event as the inner transport emits it for an incoming stream.
    (inner as unknown as { emit(e: 'snapshot-stream', ...a: Parameters<TransportEvents['snapshot-stream']>): void }).emit('snapshot-stream', snapMsg(), chunks(1), (ok) => outcomes.push(ok));
    if (when === 'held') {
      expect(outcomes, 'held, not yet settled').toEqual([]);
      await sim.kill();
    }
    expect(outcomes, when).toEqual([false]);
  }
});
