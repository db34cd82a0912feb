import * as http2 from 'node:http2';
import { expect, test } from 'vitest';
import { PingPolicy } from '../../src/etcd/http2/ping-policy.js';
import { differentialPair } from './differential-pair.js';

// etcd's keepalive enforcement (--grpc-keepalive-min-time, grpc-go's policy): a client that pings
// too often gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" at its third early ping, and the
// connection is closed. A real etcd 3.4 and raftkit get the same client: one call, then pings
// 20 ms apart with no call open.

const pair = differentialPair();

/** What the server did with the pings: pongs before the GOAWAY, its code and data, and whether it closed. */
async function pingFlood(url: string): Promise<string> {
  const session = http2.connect(url);
  session.on('error', () => undefined);
  const events: string[] = [];
  session.on('goaway', (code: number, _last: number, data?: Buffer) => events.push(`goaway ${String(code)} ${String(data)}`));
  const closed = new Promise<void>((resolve) => session.once('close', resolve));
  // One call first (the door hands the connection to the gRPC server at its first request).
  const call = session.request({ ':path': '/etcdserverpb.Maintenance/Status', ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' });
  call.end(Buffer.from([0, 0, 0, 0, 0]));
  call.resume();
  await new Promise<void>((resolve) => call.once('close', resolve));
  for (let i = 0; i < 6 && !session.closed && !session.destroyed; i++) {
    await new Promise<void>((resolve) => {
      try {
        session.ping((err) => {
          events.push(err === null ? 'pong' : 'no pong');
          resolve();
        });
      } catch {
        resolve();
      }
    });
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  return `${events.filter((e) => e !== 'no pong').join(', ')}; closed=${String(session.closed || session.destroyed)}`;
}

test('pings 20 ms apart with no call open: GOAWAY too_many_pings at the fourth, as etcd sends it', async () => {
  const etcd = await pingFlood(pair.etcd.url);
  expect(etcd).toBe('pong, pong, pong, pong, goaway 11 too_many_pings; closed=true');
  expect(await pingFlood(pair.raftkitUrl)).toBe(etcd);
});

test('the policy: with a call open, pings at the minimum interval are never early; what the server writes clears the strikes', () => {
  let now = 0;
  const policy = new PingPolicy(50, () => now);
  const handlers: Record<string, ((arg?: unknown) => void)[]> = {};
  const socket = { bytesWritten: 0 };
  const session = {
    closed: false, destroyed: false, goaways: 0, socket,
    on(event: string, fn: (arg?: unknown) => void) {
      (handlers[event] ??= []).push(fn);
      return session;
    },
    goaway() {
      session.goaways++;
    },
    destroy() {
      session.destroyed = true;
    },
  };
  policy.watch(session as never);
  /** A client ping, after `ms`, the server having written `bytes` since the last (17: its acknowledgement of the last ping). */
  const ping = (ms: number, bytes = 17): void => {
    now += ms;
    socket.bytesWritten += bytes;
    for (const fn of handlers.ping ?? []) fn();
  };
  for (const fn of handlers.stream ?? []) fn({ on: () => undefined }); // a stream that stays open
  for (let i = 0; i < 10; i++) ping(50);
  expect(session.goaways).toBe(0);
  // Two early pings; the server then streams data (a download's bandwidth probes): strikes cleared.
  ping(10);
  ping(10);
  ping(10, 16_000);
  ping(10);
  ping(10);
  expect(session.goaways).toBe(0);
  ping(10);
  expect(session.goaways).toBe(1);
  expect(policy.closed).toBe(1);
});
