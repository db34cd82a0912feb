import { credentials, loadPackageDefinition, type ClientReadableStream, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { PROTO_LOADER_OPTIONS, protoDir } from '../../src/etcd/proto.js';
import { differentialPair } from './differential-pair.js';

// gRPC's standard health service on the client URL (what grpc_health_probe, load balancers and
// Kubernetes' gRPC probes call), asked the same of a real etcd 3.4 and of raftkit/etcd.
const pair = differentialPair();

type Health = InstanceType<ServiceClientConstructor> & {
  Check(req: object, cb: (err: ServiceError | null, res?: { status: number }) => void): void;
  Watch(req: object): ClientReadableStream<{ status: number }>;
};

function healthClient(url: string): Health {
  const dir = protoDir();
  const def = loadSync(join(dir, 'health.proto'), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const Ctor = (loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: ServiceClientConstructor } } } }).grpc.health.v1.Health;
  return new Ctor(new URL(url).host, credentials.createInsecure()) as Health;
}

const check = (c: Health, service: string): Promise<string> => new Promise((resolve) => {
  c.Check({ service }, (err, res) => resolve(err ? `error ${err.code} ${err.details}` : `status ${String(res!.status)}`));
});

/** The first status a Watch sends, and whether the stream stays open after it. */
const watchFirst = (c: Health, service: string): Promise<string> => new Promise((resolve) => {
  const stream = c.Watch({ service });
  stream.on('error', () => undefined);
  stream.once('data', (r: { status: number }) => {
    let ended = false;
    stream.once('end', () => (ended = true));
    setTimeout(() => {
      stream.cancel();
      resolve(`status ${String(r.status)}${ended ? ', ended' : ', open'}`);
    }, 200);
  });
});

test('Check and Watch answer as etcd\'s: SERVING for the server, NOT_FOUND / SERVICE_UNKNOWN for any named service', async () => {
  const seen: string[][] = [];
  for (const url of [pair.etcd.url, pair.raftkitUrl]) {
    const c = healthClient(url);
    try {
      seen.push([await check(c, ''), await check(c, 'etcdserverpb.KV'), await check(c, 'nope'), await watchFirst(c, ''), await watchFirst(c, 'etcdserverpb.KV')]);
    } finally {
      c.close();
    }
  }
  expect(seen[1]).toEqual(seen[0]);
  expect(seen[0]).toEqual(['status 1', 'error 5 unknown service', 'error 5 unknown service', 'status 1, open', 'status 3, open']);
});
