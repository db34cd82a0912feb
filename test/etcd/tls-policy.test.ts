import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { EtcdServer } from '../../src/etcd/server.js';
import type { ClientTlsOptions } from '../../src/etcd/client-tls.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { PeerRefusedError } from '../../src/transport/errors.js';
import { ETCD_API_VERSION } from '../../src/etcd/version.js';
import { Etcd3 } from 'etcd3';
import { Cluster } from '../replica/helpers/cluster.js';
import { createEtcdPki, type EtcdPki, type Issued } from './pki.js';
import { appMsg } from '../transport/helpers.js';
import { etcdctl } from './helpers.js';
import { startProcCluster } from './process-cluster.js';

// etcd's --client-crl-file, --peer-crl-file, --cipher-suites, --tls-min-version and
// --tls-max-version, as TlsPolicy on the client URLs and the peer links: a revoked certificate,
// a protocol version or a cipher suite outside the policy is refused in the handshake.

let pki: EtcdPki;
let cluster: Cluster;
let server: Issued;
let good: Issued;
let revoked: Issued;
let crlFile = '';
const servers: EtcdServer[] = [];

beforeAll(async () => {
  pki = createEtcdPki(['ca']);
  server = pki.issue('server');
  good = pki.issue('good');
  revoked = pki.issue('revoked');
  crlFile = pki.crl([revoked]);
  cluster = await Cluster.create([1]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await cluster.close();
  pki.dispose();
});

async function serve(policy: Partial<ClientTlsOptions>): Promise<string> {
  const s = new EtcdServer({ replica: cluster.replicas.get(1)!, tls: { cert: server.cert, key: server.key, ca: pki.ca.ca!.pem, clientCertAuth: true, ...policy } });
  servers.push(s);
  return s.listen('https://127.0.0.1:0');
}

/** The connections refused by the server listening on `url`. */
const refusals = (url: string): Promise<number> => servers.find((s) => s.clientUrls.includes(url))!.refusedConnections();

/** A bare TLS handshake with `url`: the protocol and suite agreed, or the error code. */
function handshake(url: string, client: Issued, options: tls.ConnectionOptions = {}): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: pki.ca.ca!.pem, key: client.key, cert: client.cert, ALPNProtocols: ['h2'], ...options }, () => {
      // A certificate refused after the handshake (TLS 1.3) shows as the connection closing.
      s.once('close', () => resolve('closed'));
      s.once('data', () => undefined);
      setTimeout(() => {
        // Still open 200 ms after the handshake: the connection was taken.
        if (!s.destroyed) resolve(`${String(s.getProtocol())} ${s.getCipher().name}`);
        s.destroy();
      }, 200);
    });
    s.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
  });
}

test('a certificate the CRL revokes is refused; the others are served', async () => {
  const url = await serve({ crl: readFileSync(crlFile) });
  expect(await handshake(url, revoked, { maxVersion: 'TLSv1.2' })).toMatch(/REVOKED|ALERT|ECONNRESET/);
  expect(await handshake(url, revoked)).toMatch(/REVOKED|ALERT|ECONNRESET|closed/);
  expect(await refusals(url)).toBe(2);
  expect(await handshake(url, good, { maxVersion: 'TLSv1.2' })).toMatch(/^TLSv1\.2 /);
  const client = new Etcd3({ hosts: url, credentials: { rootCertificate: Buffer.from(pki.ca.ca!.pem), privateKey: Buffer.from(good.key), certChain: Buffer.from(good.cert) } });
  try {
    expect((await client.maintenance.status()).version).toBe(ETCD_API_VERSION);
  } finally {
    client.close();
  }
});

test('cipher suites limit TLS 1.2 and leave TLS 1.3 as it is, as Go does; the minimum and maximum versions are kept', async () => {
  const url = await serve({ ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  expect(await handshake(url, good, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })).toMatch(/HANDSHAKE_FAILURE/);
  expect(await handshake(url, good, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256');
  expect(await handshake(url, good)).toMatch(/^TLSv1\.3 /);
  const only13 = await serve({ minVersion: 'TLSv1.3' });
  expect(await handshake(only13, good, { maxVersion: 'TLSv1.2' })).toMatch(/PROTOCOL_VERSION|ALERT/);
  expect(await handshake(only13, good)).toMatch(/^TLSv1\.3 /);
  const only12 = await serve({ maxVersion: 'TLSv1.2' });
  expect(await handshake(only12, good)).toMatch(/^TLSv1\.2 /);
});

test('a policy Node cannot take is refused when the server or the transport is made', () => {
  expect(() => new EtcdServer({ replica: cluster.replicas.get(1)!, tls: { cert: server.cert, key: server.key, ciphers: 'NO-SUCH-CIPHER' } })).toThrow(ConfigInvalidError);
  expect(() => new TcpTransport({ id: 1, tls: { cert: server.cert, key: server.key, ca: pki.ca.ca!.pem, crl: 'not a crl' } })).toThrow(ConfigInvalidError);
});

test('a peer whose certificate the peer CRL revokes is refused in the handshake, before any message is read', async () => {
  const peer = (id: number, cert: Issued, crl?: string): TcpTransport => new TcpTransport({
    id, reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    tls: { cert: cert.cert, key: cert.key, ca: pki.ca.ca!.pem, bindMemberId: false, ...(crl === undefined ? {} : { crl: readFileSync(crl) }) },
  });
  const b = peer(2, server, crlFile);
  const a = peer(1, revoked);
  const refusals: PeerRefusedError[] = [];
  b.on('error', (e) => e instanceof PeerRefusedError && refusals.push(e));
  a.on('error', () => undefined);
  try {
    await b.start();
    await a.start();
    a.addPeer(2, b.address!);
    b.addPeer(1, a.address!);
    const got: unknown[] = [];
    b.on('message', (m) => got.push(m));
    for (let i = 0; i < 20 && refusals.length === 0; i++) {
      a.send([appMsg(1, 2, i + 1)]);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refusals[0]).toMatchObject({ reason: 'tls' });
    expect(got).toEqual([]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('a peer whose certificate has neither the allowed CN nor a name valid for the allowed host name is refused, on either side of the link', async () => {
  const other = pki.issue('other');
  const peer = (id: number, cert: Issued, names: { allowedCommonNames?: string[]; allowedHostnames?: string[] } = {}): TcpTransport => new TcpTransport({
    id, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, tls: { cert: cert.cert, key: cert.key, ca: pki.ca.ca!.pem, bindMemberId: false, ...names },
  });
  /** Whether a message from `a` reaches `b`, and the refusals each side raised. */
  const link = async (a: TcpTransport, b: TcpTransport): Promise<{ delivered: boolean; refused: string[] }> => {
    const refused: string[] = [];
    for (const t of [a, b]) t.on('error', (e) => e instanceof PeerRefusedError && refused.push(`${t === a ? 'dialler' : 'listener'} ${e.reason}`));
    let delivered = false;
    b.on('message', () => (delivered = true));
    try {
      await b.start();
      await a.start();
      a.addPeer(2, b.address!);
      b.addPeer(1, a.address!);
      for (let i = 0; i < 20 && !delivered && refused.length === 0; i++) {
        a.send([appMsg(1, 2, i + 1)]);
        await new Promise((r) => setTimeout(r, 50));
      }
      return { delivered, refused };
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  };
  expect(await link(peer(1, good), peer(2, server, { allowedCommonNames: ['good'] }))).toEqual({ delivered: true, refused: [] });
  expect((await link(peer(1, other), peer(2, server, { allowedCommonNames: ['good'] }))).refused).toContain('listener name-not-allowed');
  // A list (--peer-cert-allowed-cn a,b): a certificate with any one of its names passes.
  expect(await link(peer(1, other), peer(2, server, { allowedCommonNames: ['good', 'other'] }))).toEqual({ delivered: true, refused: [] });
  expect(await link(peer(1, good), peer(2, server, { allowedHostnames: ['good'] }))).toEqual({ delivered: true, refused: [] });
  expect((await link(peer(1, other), peer(2, server, { allowedHostnames: ['good'] }))).refused).toContain('listener name-not-allowed');
  // The dialler checks the listener's certificate too, as etcd's peers do.
  // (The dialler drops the connection: the listener sees the handshake end, and nothing arrives.)
  const dialler = peer(1, good, { allowedCommonNames: ['good'] });
  const dialled = await link(dialler, peer(2, server));
  expect(dialled.delivered).toBe(false);
  expect(dialler.stats().get(2)!.connects).toBe(0);
});

test('the command applies --tls-min-version to its client and peer URLs (etcdctl, on TLS 1.3, is served)', async () => {
  const c = await startProcCluster(['t1'], ['--tls-min-version', 'TLS1.3']);
  try {
    const p = c.procs.get('t1')!;
    const ctlCert = c.ctlCert;
    for (const url of [p.client, p.peer]) {
      const u = new URL(url);
      const got = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: c.pki.ca.ca!.pem, key: readFileSync(ctlCert.keyFile), cert: readFileSync(ctlCert.certFile), maxVersion: 'TLSv1.2' }, () => {
          resolve(`connected ${String(s.getProtocol())}`);
          s.destroy();
        });
        s.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
      });
      expect(got, url).toMatch(/PROTOCOL_VERSION|ALERT/);
    }
    const r = await etcdctl(c.endpoints(), [...c.ctlTls, 'endpoint', 'health']);
    expect(r.code, r.stderr).toBe(0);
  } finally {
    await c.close();
  }
}, 60_000);
