import { expect, test } from 'vitest';
import { callUnary, rawClient, startKvCluster } from './helpers.js';

// grpc-js emits `cancelled` on every unary call when its stream closes, answered or not: an
// answered call's request must not see its cancel signal abort (that built an error and
// dispatched an abort event per call).
test('an answered linearizable Range and Put do not see their cancel signal abort when the stream closes', async () => {
  const c = await startKvCluster([1]);
  try {
    const kv = c.clients.get(1)!;
    const signals: AbortSignal[] = [];
    const range = kv.rangeRequest.bind(kv);
    const put = kv.putRequest.bind(kv);
    kv.rangeRequest = (req, options) => {
      if (options.signal !== undefined) signals.push(options.signal);
      return range(req, options);
    };
    kv.putRequest = (req, options) => {
      if (options.signal !== undefined) signals.push(options.signal);
      return put(req, options);
    };
    const client = rawClient('KV', c.urls.get(1)!);
    expect((await callUnary(client, 'Put', { key: Buffer.from('k'), value: Buffer.from('v') })).err).toBeUndefined();
    expect((await callUnary(client, 'Range', { key: Buffer.from('k') })).err).toBeUndefined();
    expect((await callUnary(client, 'Range', { key: Buffer.from('k'), serializable: true })).err).toBeUndefined();
    // The earlier streams closed on the server once they were answered; one more round trip on
    // the same connection lets their close events run first.
    expect((await callUnary(client, 'Range', { key: Buffer.from('k'), serializable: true })).err).toBeUndefined();
    client.close();
    expect(signals).toHaveLength(2); // the serializable Range carries none
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
  } finally {
    await c.close();
  }
});
