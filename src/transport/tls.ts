import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConfigInvalidError } from '../raft/errors.js';
import { PeerRefusedError } from './errors.js';

/** PEM material: a string, a Buffer, or several of them. */
export type Pem = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * Mutual TLS for peer links (`TcpTransportOptions.tls`). Every member presents `cert` both
 * as a server (to members dialling it) and as a client (when it dials).
 *
 * - The dialler always verifies the listener's certificate against `ca`.
 * - With `requestCert` (the default), the listener demands a client certificate signed by
 *   `ca`: a peer without one is refused during the TLS handshake, before any Raft byte is read
 *   (an `error` event with `PeerRefusedError` reason `'tls'`).
 * - With `allowedNames`, the other side's certificate must also carry one of these names as
 *   its subject CN or as a DNS/IP/URI subject alternative name, on both sides of the link
 *   (reason `'name-not-allowed'`). It then replaces the dialler's host name check.
 *   Without it, the dialler checks the certificate against the host of the peer's address as
 *   HTTPS does (so certificates need an IP or DNS SAN matching the address).
 */
export interface TlsOptions {
  /** This member's private key (PEM). */
  key: Pem;
  /** This member's certificate chain (PEM). */
  cert: Pem;
  /** The certificate authorities that sign members' certificates (PEM). */
  ca: Pem;
  /** Whether the listener requires and verifies client certificates. Default `true`. */
  requestCert?: boolean;
  /** The certificate names (CN or SAN) allowed to connect; default: any certificate `ca` signed. */
  allowedNames?: readonly string[];
}

type PemValue = string | Buffer | (string | Buffer)[];

function pem(v: Pem): PemValue {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v.map((x) => (typeof x === 'string' ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
}

/**
 * Validates TLS options once, at construction.
 * @internal
 */
export function checkTlsOptions(o: TlsOptions): void {
  for (const field of ['key', 'cert', 'ca'] as const) {
    if (o[field] === undefined || o[field] === null) throw new ConfigInvalidError(`tls.${field} is required`);
  }
  if (o.allowedNames !== undefined && (!Array.isArray(o.allowedNames) || o.allowedNames.some((n) => typeof n !== 'string' || n === ''))) {
    throw new ConfigInvalidError('tls.allowedNames must be an array of non-empty strings');
  }
}

/**
 * The names a certificate carries: its subject CN and its subject alternative names.
 * @internal
 */
export function certificateNames(cert: tls.PeerCertificate | undefined): string[] {
  if (cert === undefined || cert === null) return [];
  const names: string[] = [];
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.['CN'];
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  // `subjectaltname` is a string such as "DNS:member-1, IP Address:127.0.0.1".
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const i = part.indexOf(':');
    if (i > 0) names.push(part.slice(i + 1).trim());
  }
  return names;
}

/**
 * Returns a refusal when the certificate carries none of the allowed names.
 * @internal
 */
export function checkAllowedNames(cert: tls.PeerCertificate | undefined, allowed: readonly string[] | undefined, who: string): PeerRefusedError | undefined {
  if (allowed === undefined) return undefined;
  const names = certificateNames(cert);
  if (names.some((n) => allowed.includes(n))) return undefined;
  return new PeerRefusedError('name-not-allowed', `${who}: certificate names [${names.join(', ')}] are not in tls.allowedNames`);
}

/**
 * Opens a socket to a peer; `onReady` runs once bytes may be written (after the TLS handshake).
 * @internal
 */
export type Connector = (host: string, port: number, onReady: () => void) => net.Socket;

/**
 * A plain-TCP or TLS {@link Connector}.
 * @internal
 */
export function createConnector(o: TlsOptions | undefined): Connector {
  if (o === undefined) return (host, port, onReady) => net.connect({ host, port }, onReady);
  const allowed = o.allowedNames;
  return (host, port, onReady) => {
    const options: tls.ConnectionOptions = {
      host,
      port,
      key: pem(o.key),
      cert: pem(o.cert),
      ca: pem(o.ca),
      rejectUnauthorized: true,
    };
    if (!net.isIP(host)) options.servername = host;
    if (allowed !== undefined) {
      options.checkServerIdentity = (_host, cert) => checkAllowedNames(cert, allowed, `dialling ${host}:${port}`);
    }
    return tls.connect(options, onReady);
  };
}

/**
 * Creates the listener: plain TCP, or TLS that refuses bad certificates and names before
 * `onSocket` ever sees the connection.
 * @internal
 */
export function createListener(o: TlsOptions | undefined, onSocket: (socket: net.Socket) => void, onRefused: (error: PeerRefusedError, socket: net.Socket) => void): net.Server {
  if (o === undefined) return net.createServer(onSocket);
  const requestCert = o.requestCert ?? true;
  const server = tls.createServer(
    { key: pem(o.key), cert: pem(o.cert), ca: pem(o.ca), requestCert, rejectUnauthorized: requestCert },
    (socket) => {
      const refusal = requestCert ? checkAllowedNames(socket.getPeerCertificate(), o.allowedNames, 'accepting') : undefined;
      if (refusal !== undefined) {
        onRefused(refusal, socket);
        socket.destroy();
        return;
      }
      onSocket(socket);
    },
  );
  server.on('tlsClientError', (err, socket) => {
    onRefused(new PeerRefusedError('tls', `TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${err.message}`, undefined, { cause: err }), socket);
    socket.destroy();
  });
  return server;
}
