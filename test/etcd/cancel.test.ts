import { Metadata, status, type ClientDuplexStream, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { expect, test } from 'vitest';
import { callUnary, rawClient, useLoneFollower, until } from './helpers.js';

// A client's cancellation reaches the request it started, as etcd's context cancellation does:
// a proposal or read waiting on a member without a leader is given up at once, not when the
// replica's request timeout (here 10 minutes) passes.
const lone = useLoneFollower();

const pending = (): number => lone.c.replicas.get(lone.follower)!.status().pending;
const handled = async (service: string, method: string, code: string): Promise<boolean> =>
  (await lone.c.servers.get(lone.follower)!.metrics.text()).includes(`grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.${service}",grpc_method="${method}",grpc_code="${code}"} 1`);

test.each([
  ['Put', { key: Buffer.from('k'), value: Buffer.from('v') }, {}],
  ['Range', { key: Buffer.from('k') }, {}],
  ['DeleteRange', { key: Buffer.from('k') }, { deadline: Date.now() + 600_000 }], // cancelled long before its deadline
])('a cancelled %s gives up its waiting request in the server ("etcdserver: request canceled")', async (method, req, callOptions) => {
  const client = rawClient('KV', lone.c.urls.get(lone.follower)!);
  let call: ClientUnaryCall | undefined;
  const answered = new Promise<ServiceError | null>((resolve) => {
    call = (client[method] as (r: object, m: Metadata, o: object, cb: (e: ServiceError | null) => void) => ClientUnaryCall)(req, new Metadata(), callOptions, resolve);
  });
  await until(() => pending() === 1, 'the request to wait in the replica');
  call!.cancel();
  expect((await answered)?.code).toBe(status.CANCELLED);
  await until(() => pending() === 0, 'the request to be given up');
  await until(() => handled('KV', method, 'Canceled'), 'the call to be counted as Canceled');
  client.close();
});

test('a cancelled LeaseKeepAlive stream gives up its keep-alive still waiting for a leader', async () => {
  const client = rawClient('Lease', lone.c.urls.get(lone.follower)!);
  const stream = (client.LeaseKeepAlive as () => ClientDuplexStream<object, object>)();
  const ended = new Promise<void>((resolve) => stream.on('error', () => resolve()));
  stream.write({ ID: '12345' });
  await until(() => pending() === 1, 'the keep-alive to wait in the replica');
  stream.cancel();
  await ended;
  await until(() => pending() === 0, 'the keep-alive to be given up');
  client.close();
});

test('a cancelled Watch stream closes its watchers', async () => {
  const watchers = async (): Promise<string | undefined> => /^etcd_debugging_mvcc_watcher_total (\d+)$/m.exec(await lone.c.servers.get(lone.follower)!.metrics.text())?.[1];
  const client = rawClient('Watch', lone.c.urls.get(lone.follower)!);
  const stream = (client.Watch as () => ClientDuplexStream<object, { created?: boolean }>)();
  const created = new Promise<void>((resolve) => stream.on('data', (r: { created?: boolean }) => { if (r.created === true) resolve(); }));
  const ended = new Promise<void>((resolve) => stream.on('error', () => resolve()));
  stream.write({ createRequest: { key: Buffer.from('a'), rangeEnd: Buffer.from('b') } });
  stream.write({ createRequest: { key: Buffer.from('c') } });
  await created;
  await until(async () => (await watchers()) === '2', 'two watchers');
  stream.cancel();
  await ended;
  await until(async () => (await watchers()) === '0', 'the watchers to close');
  client.close();
});

test('the member keeps serving after the cancelled calls', async () => {
  const kv = rawClient('KV', lone.c.urls.get(lone.follower)!);
  const { res, err } = await callUnary(kv, 'Range', { key: Buffer.from('k'), serializable: true });
  expect(err).toBeUndefined();
  expect(res?.count).toBe('0');
  kv.close();
  const m = rawClient('Maintenance', lone.c.urls.get(lone.follower)!);
  expect((await callUnary(m, 'Status', {})).err).toBeUndefined();
  m.close();
  expect(pending()).toBe(0);
});
