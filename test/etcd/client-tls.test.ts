import { afterAll, beforeAll, expect, test } from 'vitest';
import { EtcdServer } from '../../src/etcd/server.js';
import { ETCD_API_VERSION } from '../../src/etcd/version.js';
import { Cluster } from '../replica/helpers/cluster.js';
import { etcdctl, tlsStatus } from './helpers.js';
import { createEtcdPki, type EtcdPki, type Issued } from './pki.js';

// Client TLS with client-certificate auth: only certificates signed by the trusted CA and valid
// now get in; the others are refused in the handshake, before any RPC runs, and counted.
let pki: EtcdPki;
let cluster: Cluster;
let server: EtcdServer;
let url = '';

beforeAll(async () => {
  pki = createEtcdPki(['ca', 'other']);
  const srv = pki.issue('server');
  cluster = await Cluster.create([1]);
  server = new EtcdServer({ replica: cluster.replicas.get(1)!, tls: { cert: srv.cert, key: srv.key, ca: pki.ca.ca!.pem, clientCertAuth: true } });
  url = await server.listen('https://127.0.0.1:0');
});
afterAll(async () => {
  await server.close();
  await cluster.close();
  pki.dispose();
});

const status = (client?: Issued): ReturnType<typeof tlsStatus> => tlsStatus(url, pki.ca.ca!.pem, client);

test('a client with a certificate from the trusted CA is served', async () => {
  expect((await status(pki.issue('good'))).version).toBe(ETCD_API_VERSION);
});

test('etcdctl with --cacert/--cert/--key is served', async () => {
  const c = pki.issue('ctl');
  const r = await etcdctl([new URL(url).host], ['--cacert', pki.ca.ca!.file, '--cert', c.certFile, '--key', c.keyFile, 'endpoint', 'status', '-w', 'json']);
  expect(r.code, r.stderr).toBe(0);
  expect((JSON.parse(r.stdout) as { Status: { version: string } }[])[0]!.Status.version).toBe(ETCD_API_VERSION);
});

test('no certificate, another CA\'s, or an expired one: refused in the handshake, and each refusal counted', async () => {
  const before = await server.refusedConnections();
  for (const client of [undefined, pki.issue('stranger', 'other'), pki.expired('old')]) {
    const r = await status(client);
    expect(r.err, `client ${client?.certFile ?? 'without a certificate'}`).toBeDefined();
  }
  const refused = await server.refusedConnections();
  expect(refused - before).toBeGreaterThanOrEqual(3);
  expect(await server.metrics.text()).toMatch(/raftkit_client_tls_refused_total\{reason="[^"]+"\} \d+/);
});
