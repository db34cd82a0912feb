import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { EtcdServer } from '../../src/etcd/server.js';
import { ETCD_API_VERSION } from '../../src/etcd/version.js';
import { Cluster } from '../replica/helpers/cluster.js';
import { tlsStatus } from './helpers.js';
import { createEtcdPki, type EtcdPki, type Issued } from './pki.js';

// etcd's --client-cert-allowed-hostname (ClientTlsOptions.allowedHostnames): with client-cert
// auth, a client certificate must also be valid for one of the host names (a DNS or IP SAN, never
// the CN); another is refused before any request runs, and counted.
let pki: EtcdPki;
let cluster: Cluster;
let server: EtcdServer;
let url = '';

beforeAll(async () => {
  pki = createEtcdPki(['ca']);
  const srv = pki.issue('server');
  cluster = await Cluster.create([1]);
  server = new EtcdServer({ replica: cluster.replicas.get(1)!, tls: { cert: srv.cert, key: srv.key, ca: pki.ca.ca!.pem, clientCertAuth: true, allowedHostnames: ['client.test.example', '10.9.8.7'] } });
  url = await server.listen('https://127.0.0.1:0');
});
afterAll(async () => {
  await server.close();
  await cluster.close();
  pki.dispose();
});

/** The connections handed to the gRPC server so far (after TLS and every check). */
async function admitted(): Promise<number> {
  const lines = (await server.metrics.text()).split('\n').filter((l) => l.startsWith('raftkit_client_http2_connections_total{'));
  return lines.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

test.each([
  { name: 'dns', san: 'DNS:client.test.example' },
  { name: 'wildcard', san: 'DNS:*.test.example' },
  { name: 'second', san: 'DNS:elsewhere,IP:10.9.8.7' },
])('a certificate valid for an allowed host name ($san) is served', async ({ name, san }) => {
  expect((await tlsStatus(url, pki.ca.ca!.pem, pki.issue(name, 'ca', san))).version).toBe(ETCD_API_VERSION);
});

test.each([
  { name: 'stranger', san: undefined, why: 'SANs stranger, localhost, 127.0.0.1' },
  { name: 'client.test.example', san: 'DNS:other', why: 'the CN only' },
  { name: 'bare', san: '', why: 'no SAN' },
])('a certificate not valid for any ($why) is refused before any request, and counted', async ({ name, san }) => {
  const client: Issued = pki.issue(name, 'ca', san);
  const [refusedBefore, admittedBefore] = [await server.refusedConnections(), await admitted()];
  const r = await tlsStatus(url, pki.ca.ca!.pem, client);
  expect(r.err).toBeDefined();
  expect(await server.refusedConnections()).toBeGreaterThan(refusedBefore);
  expect(await admitted()).toBe(admittedBefore);
  expect(await server.metrics.text()).toMatch(/raftkit_client_tls_refused_total\{reason="ERR_TLS_CERT_ALTNAME_INVALID"\} [1-9]/);
});

test('allowedHostnames without clientCertAuth is refused, naming the flags', () => {
  const srv = pki.issue('server');
  expect(() => new EtcdServer({ replica: cluster.replicas.get(1)!, tls: { cert: srv.cert, key: srv.key, ca: pki.ca.ca!.pem, allowedHostnames: ['x'] } }))
    .toThrow(ConfigInvalidError);
  expect(() => new EtcdServer({ replica: cluster.replicas.get(1)!, tls: { cert: srv.cert, key: srv.key, ca: pki.ca.ca!.pem, allowedHostnames: ['x'] } }))
    .toThrow(/--client-cert-auth/);
});
