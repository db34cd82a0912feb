import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { EtcdServer } from '../kv/etcd-server.js';
import { etcdctl } from './helpers.js';
import { createEtcdPki, type EtcdPki, type Issued } from './pki.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// --client-cert-allowed-hostname: a real etcd 3.4 and a `raftkit` process, with the same client
// TLS flags and client-cert auth, take etcdctl's puts from a certificate valid for the host name
// and refuse the others (a client certificate for other names, one whose CN alone is the host
// name, one without SANs) before anything is written.

const HOST = 'client.test.example';
let pki: EtcdPki;
let etcd: EtcdServer;
let rk: ReturnType<typeof spawnRaftkit>;
let dir = '';
let etcdUrl = '';
let raftkitUrl = '';
let raftkitMetrics = '';
const certs: Record<string, Issued> = {};

beforeAll(async () => {
  pki = createEtcdPki(['ca']);
  dir = mkdtempSync(join(tmpdir(), 'raftkit-allowed-hostname-'));
  const server = pki.issue('server');
  certs.allowed = pki.issue('allowed', 'ca', `DNS:${HOST}`);
  certs.stranger = pki.issue('stranger');
  certs.cnOnly = pki.issue(HOST, 'ca', 'DNS:other.test.example');
  certs.bare = pki.issue('bare', 'ca', '');
  const tls = ['--cert-file', server.certFile, '--key-file', server.keyFile, '--trusted-ca-file', pki.ca.ca!.file, '--client-cert-auth', `--client-cert-allowed-hostname=${HOST}`];
  const [etcdTls, rkClient, rkPeer, rkMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  etcdUrl = `https://127.0.0.1:${etcdTls}`;
  raftkitUrl = `https://127.0.0.1:${rkClient}`;
  raftkitMetrics = `http://127.0.0.1:${rkMetrics}`;
  rk = spawnRaftkit([...singleMemberArgs('allowed-host', join(dir, 'rk'), raftkitUrl, `http://127.0.0.1:${rkPeer}`), '--listen-metrics-urls', raftkitMetrics, ...tls]);
  // etcd keeps a plain-text client URL too, which its readiness check uses.
  [etcd] = await Promise.all([EtcdServer.start(20_000, (cp) => ['--listen-client-urls', `http://127.0.0.1:${cp},${etcdUrl}`, ...tls]), rk.started]);
}, 60_000);
afterAll(async () => {
  rk?.child.kill('SIGKILL');
  await rk?.exited;
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
  pki.dispose();
});

/** etcdctl with `cert`'s key pair against `url`: its exit code and output. */
function ctl(url: string, cert: Issued, args: string[]): ReturnType<typeof etcdctl> {
  return etcdctl([new URL(url).host], ['--cacert', pki.ca.ca!.file, '--cert', cert.certFile, '--key', cert.keyFile, '--dial-timeout=1s', ...args]);
}

/** What `url` does with a put from each certificate, then which keys it holds. */
async function behaviour(url: string): Promise<string[]> {
  const out = await Promise.all(Object.entries(certs).map(async ([name, cert]) => `${name}: put ${(await ctl(url, cert, ['put', `k/${name}`, 'v'])).code === 0 ? 'ok' : 'refused'}`));
  const keys = await ctl(url, certs.allowed!, ['get', '--prefix', 'k/', '--keys-only']);
  return [...out, `keys: ${keys.stdout.split('\n').filter((l) => l !== '').join(',')}`];
}

test('etcd 3.4 and raftkit serve a certificate valid for --client-cert-allowed-hostname and refuse the others before anything is written', async () => {
  const [fromEtcd, fromRaftkit] = await Promise.all([behaviour(etcdUrl), behaviour(raftkitUrl)]);
  expect(fromEtcd).toEqual(['allowed: put ok', 'stranger: put refused', 'cnOnly: put refused', 'bare: put refused', 'keys: k/allowed']);
  expect(fromRaftkit).toEqual(fromEtcd);
  const metrics = await (await fetch(`${raftkitMetrics}/metrics`)).text();
  expect(metrics).toMatch(/raftkit_client_tls_refused_total\{reason="ERR_TLS_CERT_ALTNAME_INVALID"\} [1-9]/);
});
