import * as http2 from 'node:http2';
import { expect, test } from 'vitest';
import { parseFlags } from '../../src/etcd/cli/flags.js';
import { grpcConnectionOptions } from '../../src/etcd/cli/member.js';
import { EtcdServer } from '../../src/etcd/server.js';
import { startKvCluster, until } from './helpers.js';

// etcd's --max-concurrent-streams (the HTTP/2 SETTINGS a client connection gets) and
// --grpc-keepalive-interval/--grpc-keepalive-timeout (the server pings idle connections), as the
// server's options and as the command's flags.

test('maxConcurrentStreams is the connection\'s HTTP/2 setting; keepaliveIntervalMs makes the server ping the client', async () => {
  const c = await startKvCluster([1], { maxConcurrentStreams: 7, keepaliveIntervalMs: 100, keepaliveTimeoutMs: 1000 });
  try {
    const session = http2.connect(c.urls.get(1)!);
    const pinged = new Promise<void>((resolve) => session.once('ping', () => resolve()));
    // The server's own SETTINGS come once its door has handed it the connection, at the first request.
    const call = session.request({ ':path': '/etcdserverpb.Maintenance/Status', ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' });
    call.end(Buffer.from([0, 0, 0, 0, 0]));
    call.resume();
    await until(() => session.remoteSettings.maxConcurrentStreams === 7, 'the server\'s SETTINGS with its stream limit');
    await pinged;
    session.close();
  } finally {
    await c.close();
  }
});

test('the options are checked; the flags carry etcd\'s defaults (no stream limit, 2 h, 20 s)', () => {
  const replica = {} as never;
  expect(() => new EtcdServer({ replica, maxConcurrentStreams: 0 })).toThrow(/maxConcurrentStreams must be a positive integer/);
  expect(() => new EtcdServer({ replica, keepaliveIntervalMs: -1 })).toThrow(/keepaliveIntervalMs/);
  const base = ['--name', 'm1', '--initial-cluster', 'm1=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380'];
  const parsed = (argv: string[]): unknown => {
    const p = parseFlags([...base, ...argv]);
    return p.kind === 'run' ? p.config : undefined;
  };
  expect(parsed([])).toMatchObject({ maxConcurrentStreams: 4294967295, keepaliveIntervalMs: 7_200_000, keepaliveTimeoutMs: 20_000 });
  expect(parsed(['--max-concurrent-streams', '100', '--grpc-keepalive-interval', '30s', '--grpc-keepalive-timeout=5s'])).toMatchObject({ maxConcurrentStreams: 100, keepaliveIntervalMs: 30_000, keepaliveTimeoutMs: 5000 });
  expect(() => parsed(['--grpc-keepalive-interval', 'soon'])).toThrow(/grpc-keepalive-interval/);
});

test('--max-concurrent-streams=0 is no limit, as etcd (grpc-go) takes it; so is the default; any other value is the limit', () => {
  const base = ['--name', 'm1'];
  const streams = (argv: string[]): number | undefined => {
    const p = parseFlags([...base, ...argv]);
    if (p.kind !== 'run') throw new Error('not a run');
    return grpcConnectionOptions(p.config).maxConcurrentStreams;
  };
  expect(streams(['--max-concurrent-streams=0'])).toBeUndefined();
  expect(streams([])).toBeUndefined();
  expect(streams(['--max-concurrent-streams=0x10'])).toBe(16);
  expect(streams(['--max-concurrent-streams=4294967294'])).toBe(4294967294);
});
