import type { ClientDuplexStream } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { differentialPair, type Wire } from './differential-pair.js';
import { callUnary, rawClient, until } from './helpers.js';

// etcd's etcd_network_client_grpc_received_bytes_total and _sent_bytes_total (its dashboard's
// client traffic panels) count the encoded size of each request and response message. The same
// calls go to a real etcd 3.4 and to raftkit; on each, the counters must grow by exactly the sizes
// of the messages its client sent and received (the responses differ between the two: raftkit's
// headers carry other ids), and the requests' bytes must be the same on both.

const pair = differentialPair();

async function counters(url: string, text?: string): Promise<{ received: number; sent: number; messages: number }> {
  const t = text ?? (await (await fetch(new URL('/metrics', url))).text());
  const value = (re: RegExp): number => [...t.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    received: value(/^etcd_network_client_grpc_received_bytes_total (\d+)$/gm),
    sent: value(/^etcd_network_client_grpc_sent_bytes_total (\d+)$/gm),
    messages: value(/^grpc_server_msg_sent_total\{[^}]*grpc_service="etcdserverpb\.(?:KV|Watch)"[^}]*\} (\d+)$/gm),
  };
}

test('the bytes received from and sent to gRPC clients are counted as etcd counts them', async () => {
  const sides = [
    { url: pair.etcd.url, metrics: () => counters(pair.etcd.url) },
    { url: pair.raftkitUrl, metrics: async () => counters(pair.raftkitUrl, await pair.raftkit.servers.get(1)!.metrics.text()) },
  ];
  const deltas = await Promise.all(sides.map(async (side) => {
    const before = await side.metrics();
    const seen = { request: 0, response: 0 };
    const count = (kind: 'request' | 'response', bytes: number): void => {
      seen[kind] += bytes;
    };
    const kv = rawClient('KV', side.url, {}, count);
    const watch = rawClient('Watch', side.url, {}, count);
    try {
      expect((await callUnary(kv, 'Put', { key: Buffer.from('bytes/a'), value: Buffer.alloc(100, 1) })).err).toBeUndefined();
      expect((await callUnary(kv, 'Range', { key: Buffer.from('bytes/'), rangeEnd: Buffer.from('bytes0') })).err).toBeUndefined();
      const stream = (watch as unknown as { Watch(): ClientDuplexStream<Wire, Wire> }).Watch();
      const got: Wire[] = [];
      stream.on('data', (r: Wire) => got.push(r));
      stream.on('error', () => undefined);
      stream.write({ createRequest: { key: Buffer.from('bytes/a') } });
      await until(() => got.length === 1, 'the created answer');
      expect((await callUnary(kv, 'Put', { key: Buffer.from('bytes/a'), value: Buffer.alloc(300, 2) })).err).toBeUndefined();
      await until(() => got.length === 2, 'the event');
      stream.cancel();
    } finally {
      kv.close();
      watch.close();
    }
    const after = await side.metrics();
    return { received: after.received - before.received, sent: after.sent - before.sent, messages: after.messages - before.messages, seen };
  }));
  const [etcd, raftkit] = deltas as [typeof deltas[0], typeof deltas[0]];
  for (const d of [etcd, raftkit]) {
    expect(d.received).toBe(d.seen.request);
    expect(d.sent).toBe(d.seen.response);
  }
  expect(etcd.received).toBeGreaterThan(400);
  expect(raftkit.received).toBe(etcd.received);
  // Two puts, a range, a created answer and an event.
  expect(raftkit.messages).toBe(etcd.messages);
});
