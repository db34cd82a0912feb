import { afterEach, expect, test } from 'vitest';
import { IsolatableTransport } from '../../examples/kv-cluster/isolatable-transport.js';
import { createMessage, MessageType } from '../../src/raft/messages.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { appMsg, connectPair, next, until } from '../transport/helpers.js';

// The demo's partition control: an isolated member sends and receives nothing, and reports a
// snapshot it could not send, so the leader does not wait for it forever.
const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const confState = { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const snap = createMessage({ type: MessageType.MsgSnap, from: 1, to: 2, term: 2, snapshot: { data: new Uint8Array([1]), metadata: { index: 10, term: 2, confState } } });

async function* body(): AsyncIterable<Uint8Array> {
  yield await Promise.resolve(new Uint8Array(8));
}

test('while isolated nothing goes out or comes in; reconnected, traffic flows again', async () => {
  const network = new InProcessNetwork();
  const [a, b] = await connectPair(new IsolatableTransport(network.transport(1)), new IsolatableTransport(network.transport(2)));
  open.push(a, b);
  const got: string[] = [];
  a.on('message', (m) => got.push(`a${m.index}`));
  b.on('message', (m) => got.push(`b${m.index}`));
  a.isolated = true;
  a.send([appMsg(1, 2, 1)]);
  b.send([appMsg(2, 1, 2)]);
  await until(() => network.stats().delivered >= 1);
  a.isolated = false;
  a.send([appMsg(1, 2, 3)]);
  b.send([appMsg(2, 1, 4)]);
  await until(() => got.length === 2);
  expect(got.sort()).toEqual(['a4', 'b3']);
});

test('an isolated member reports the snapshots it drops, plain and streamed, as failures', async () => {
  const network = new InProcessNetwork();
  const a = new IsolatableTransport(network.transport(1));
  open.push(a);
  a.isolated = true;
  const plain = next(a, 'snapshot-status');
  a.send([snap]);
  expect(await plain).toEqual([2, 'failure']);
  const tcp = new IsolatableTransport(new TcpTransport({ id: 1 }));
  open.push(tcp);
  tcp.isolated = true;
  const streamed = next(tcp, 'snapshot-status');
  tcp.sendSnapshotStream!(snap, body());
  expect(await streamed).toEqual([2, 'failure']);
});
