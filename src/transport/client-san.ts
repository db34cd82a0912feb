/**
 * etcd's check of a dialling peer's certificate against the address it connects from (etcd's
 * `checkCertSAN`, which its peer listener runs after the TLS handshake unless
 * `--experimental-peer-skip-client-san-verification` is given).
 * @module
 */
import { promises as dns } from 'node:dns';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { PeerRefusedError } from './errors.js';

/**
 * The subject alternative names of a certificate as `[kind, value]` pairs (`subjectaltname` is
 * a string such as `"DNS:member-1, IP Address:127.0.0.1"`).
 * @internal
 */
export function subjectAltNames(cert: tls.PeerCertificate): [kind: string, value: string][] {
  const out: [string, string][] = [];
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const i = part.indexOf(':');
    if (i > 0) out.push([part.slice(0, i).trim(), part.slice(i + 1).trim()]);
  }
  return out;
}

/** `address` without the `::ffff:` of an IPv4 address taken on a dual-stack socket (Go reports the IPv4 form). */
function plainIp(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : '';
  return net.isIPv4(v4) ? v4 : address;
}

/**
 * Whether one of `names` resolves to `ip` (a forward lookup of each name, as the system resolves
 * it, `/etc/hosts` included), or a reverse lookup of `ip` gives one of them or matches a
 * wildcard (`*.example.com`) among them: etcd's `isHostInDNS`.
 */
async function ipInDns(ip: string, names: readonly string[]): Promise<boolean> {
  const exact = names.filter((n) => !n.startsWith('*.'));
  for (const name of exact) {
    const addrs = await dns.lookup(name, { all: true }).catch(() => []);
    if (addrs.some((a) => plainIp(a.address) === ip)) return true;
  }
  const reversed = await dns.reverse(ip).catch(() => [] as string[]);
  const suffixes = names.filter((n) => n.startsWith('*.')).map((n) => n.slice(1));
  return reversed.map((r) => (r.endsWith('.') ? r.slice(0, -1) : r)).some((r) => exact.includes(r) || suffixes.some((s) => r.endsWith(s)));
}

/**
 * Returns a refusal (reason `'san-mismatch'`) when the certificate has IP or DNS subject
 * alternative names and none names `remoteAddress`: the address must be one of the IP SANs,
 * or one of the DNS SANs must resolve to it. A certificate with neither passes, as in etcd.
 * @internal
 */
export async function checkClientSan(cert: tls.PeerCertificate, remoteAddress: string): Promise<PeerRefusedError | undefined> {
  const alt = subjectAltNames(cert);
  const ips = alt.filter(([k]) => k === 'IP Address').map(([, v]) => v);
  const names = alt.filter(([k]) => k === 'DNS').map(([, v]) => v);
  if (ips.length === 0 && names.length === 0) return undefined;
  const ip = plainIp(remoteAddress);
  // For an IP, Node checks the IP SANs only (no CN), as Go's VerifyHostname.
  if (ips.length > 0 && tls.checkServerIdentity(ip, cert) === undefined) return undefined;
  if (names.length > 0 && (await ipInDns(ip, names))) return undefined;
  return new PeerRefusedError('san-mismatch', `accepting: the connection comes from ${ip}, which the certificate's SANs [${[...ips, ...names].join(', ')}] do not name`);
}
