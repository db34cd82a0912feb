import { Metadata, status } from '@grpc/grpc-js';
import { expect, test, vi } from 'vitest';
import { GrpcMetrics, MAX_CLIENT_VERSIONS, OTHER_CLIENT_VERSION } from '../../src/etcd/grpc-metrics.js';

// etcd_server_client_requests_total counts calls by kind and by the client-api-version metadata
// (test/etcd/metric-counts-differential.test.ts compares it with etcd's). The client chooses the
// value: a client sending a new one per call must not grow the exposition without bound.

const labels = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Range' } as const;

function withVersion(v: string | undefined): Metadata {
  const md = new Metadata();
  if (v !== undefined) md.set('client-api-version', v);
  return md;
}

const samples = (g: GrpcMetrics): string[] => g.text().split('\n').filter((l) => l.startsWith('etcd_server_client_requests_total{'));

test('counts calls by kind and client version; a version with quotes is escaped; past the limit, new versions share one sample', () => {
  const g = new GrpcMetrics();
  const start = g.starter(labels);
  start(withVersion('3.4'))(status.OK);
  start(withVersion('3.4'))(status.OK);
  start(withVersion(undefined))(status.OK);
  g.start({ ...labels, grpc_type: 'bidi_stream', grpc_method: 'Watch' }, withVersion('3.5'))(status.OK);
  g.start(labels, withVersion('a"b\\c'))(status.OK);
  expect(samples(g)).toEqual([
    'etcd_server_client_requests_total{client_api_version="3.4",type="unary"} 2',
    'etcd_server_client_requests_total{client_api_version="unknown",type="unary"} 1',
    'etcd_server_client_requests_total{client_api_version="a\\"b\\\\c",type="unary"} 1',
    'etcd_server_client_requests_total{client_api_version="3.5",type="stream"} 1',
  ]);
  for (let i = 0; i < 10_000; i++) start(withVersion(`hostile-${String(i)}`))(status.OK);
  // The first MAX_CLIENT_VERSIONS versions of unary calls (three before the flood), then one sample for the rest.
  expect(samples(g).filter((l) => l.includes('type="unary"'))).toHaveLength(MAX_CLIENT_VERSIONS + 1);
  expect(samples(g)).toContain(`etcd_server_client_requests_total{client_api_version="${OTHER_CLIENT_VERSION}",type="unary"} ${String(10_000 - (MAX_CLIENT_VERSIONS - 3))}`);
  // Known versions keep counting in their own sample.
  start(withVersion('3.4'))(status.OK);
  expect(samples(g)).toContain('etcd_server_client_requests_total{client_api_version="3.4",type="unary"} 3');
});

test('a unary call slower than the threshold is reported once, with its method, code and time; streams and faster calls are not', () => {
  const slow: { method: string; code: number; ms: number }[] = [];
  const g = new GrpcMetrics(true, { thresholdMs: 300, report: (c) => slow.push(c) });
  let now = 1000;
  const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
  try {
    const end = g.start(labels, withVersion('3.5'));
    now += 299;
    end(status.OK);
    const late = g.start(labels, withVersion('3.5'));
    now += 301;
    late(status.DEADLINE_EXCEEDED);
    late(status.OK); // a second end of the same call counts nothing
    const stream = g.start({ ...labels, grpc_type: 'bidi_stream', grpc_method: 'Watch' }, withVersion('3.5'));
    now += 10_000;
    stream(status.OK);
  } finally {
    clock.mockRestore();
  }
  expect(slow).toEqual([{ method: '/etcdserverpb.KV/Range', code: status.DEADLINE_EXCEEDED, ms: 301 }]);
});
