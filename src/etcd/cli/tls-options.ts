/**
 * The `raftkit` command's TLS flags as the options of its peer transport and its client URLs.
 * @module
 */
import type { ClientTlsOptions } from '../client-tls.js';
import type { TlsOptions } from '../../transport/tls.js';
import type { MemberConfig } from './flags.js';

/** Reads a file named by a flag (its contents, PEM). */
export type ReadFile = (file: string) => string;

/** The peer transport's TLS (`--peer-*` flags); undefined without `--peer-cert-file`. */
export function peerTlsOptions(c: MemberConfig, read: ReadFile): TlsOptions | undefined {
  const p = c.peerTls;
  if (p.certFile === '') return undefined;
  return {
    cert: read(p.certFile), key: read(p.keyFile), ca: read(p.trustedCaFile),
    ...(p.clientCertFile === '' ? {} : { clientCert: read(p.clientCertFile), clientKey: read(p.clientKeyFile) }),
    requestCert: p.clientCertAuth, ...c.tlsPolicy, ...(p.crlFile === '' ? {} : { crl: read(p.crlFile) }),
    ...(p.allowedCns.length === 0 ? {} : { allowedCommonNames: p.allowedCns }),
    ...(p.allowedHostnames.length === 0 ? {} : { allowedHostnames: p.allowedHostnames }),
    // etcd's peer certificates name hosts, not member ids (ids are hashes of peer URLs), and
    // etcd accepts any certificate its CA signed: so does this CLI.
    bindMemberId: false,
    // etcd's peer listener checks a dialling member's SANs against its address (checkCertSAN).
    verifyClientSan: !p.skipClientSanVerify,
  };
}

/** The client URLs' TLS (`--cert-file`, `--client-cert-auth`...); undefined without `--cert-file`. */
export function clientTlsOptions(c: MemberConfig, read: ReadFile): ClientTlsOptions | undefined {
  const ct = c.clientTls;
  if (ct.certFile === '') return undefined;
  return {
    cert: read(ct.certFile), key: read(ct.keyFile), ...(ct.trustedCaFile === '' ? {} : { ca: read(ct.trustedCaFile) }), clientCertAuth: ct.clientCertAuth,
    ...c.tlsPolicy, ...(ct.crlFile === '' ? {} : { crl: read(ct.crlFile) }),
    // etcd checks the allowed host name only when it asks for client certificates.
    ...(ct.clientCertAuth && ct.allowedHostnames.length > 0 ? { allowedHostnames: ct.allowedHostnames } : {}),
  };
}
