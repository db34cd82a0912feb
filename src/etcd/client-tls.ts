/**
 * The client URLs' TLS (etcd's `--cert-file`, `--key-file`, `--trusted-ca-file`,
 * `--client-cert-auth`, `--client-cert-allowed-hostname`): its options, checked once, and the
 * listener that refuses a client's certificate before any request of it runs.
 * @module
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { ConfigInvalidError } from '../raft/errors.js';
import { checkTlsPolicy, pem, policyOptions, validForHost, type Pem, type TlsPolicy } from '../transport/tls.js';

/** Client TLS of the gRPC listeners (etcd's `--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`). */
export interface ClientTlsOptions extends TlsPolicy {
  /** The server certificate chain (PEM). */
  cert: Pem;
  /** The server private key (PEM). */
  key: Pem;
  /** The CAs that sign client certificates (PEM); required with `clientCertAuth`. */
  ca?: Pem;
  /**
   * Refuse clients without a certificate signed by `ca` (unsigned, another CA's, expired or not
   * yet valid) during the TLS handshake, before any request runs. Default `false`.
   */
  clientCertAuth?: boolean;
  /**
   * etcd's `--client-cert-allowed-hostname` (a list, as etcd 3.6 takes it): with `clientCertAuth`,
   * a client's certificate must also be valid for one of these host names or IPs (a DNS SAN,
   * wildcards included, or an IP SAN, as Go's `VerifyHostname` checks it: never the subject CN).
   * Another certificate is refused once the handshake is done, before any request runs, and
   * counted as a refused handshake (reason `ERR_TLS_CERT_ALTNAME_INVALID`). Requires
   * `clientCertAuth`. Default: any certificate `ca` signed.
   */
  allowedHostnames?: readonly string[];
}

/**
 * Refuses client TLS options that cannot work, naming the field.
 * @internal
 */
export function checkClientTls(o: ClientTlsOptions): void {
  const auth = o.clientCertAuth === true;
  if (auth && o.ca === undefined) throw new ConfigInvalidError('tls.ca (--trusted-ca-file) is required with clientCertAuth');
  const hosts = o.allowedHostnames;
  if (hosts !== undefined && (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string' || h === ''))) throw new ConfigInvalidError('tls.allowedHostnames must be an array of non-empty strings');
  if (hosts !== undefined && !auth) throw new ConfigInvalidError('tls.allowedHostnames (--client-cert-allowed-hostname) needs clientCertAuth (--client-cert-auth)');
  checkTlsPolicy(o, 'tls');
}

/**
 * A TLS listener of the client URLs (offering the `alpn` protocols): `onSocket` gets each connection whose handshake succeeded
 * and whose certificate passes `allowedHostnames`; `onRefused` counts the others, by reason,
 * whose sockets are destroyed.
 * @internal
 */
export function createClientTlsServer(o: ClientTlsOptions, alpn: string[], onSocket: (socket: net.Socket) => void, onRefused: (reason: string) => void): tls.Server {
  const auth = o.clientCertAuth === true;
  const hosts = auth ? o.allowedHostnames : undefined;
  const server = tls.createServer({
    cert: pem(o.cert), key: pem(o.key), ...(o.ca === undefined ? {} : { ca: pem(o.ca) }),
    requestCert: auth, rejectUnauthorized: auth, ALPNProtocols: alpn, ...policyOptions(o, true),
  }, (socket) => {
    // etcd: "client certificate authentication failed" (a VerifyPeerCertificate in the handshake).
    if (hosts !== undefined && !hosts.some((h) => validForHost(socket.getPeerCertificate(), h))) {
      onRefused('ERR_TLS_CERT_ALTNAME_INVALID');
      socket.destroy();
      return;
    }
    onSocket(socket);
  });
  server.on('tlsClientError', (err: Error & { code?: string }, socket) => {
    onRefused(err.code ?? 'tls');
    socket.destroy();
  });
  return server;
}
