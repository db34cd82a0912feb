import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConfigInvalidError } from '../raft/errors.js';
import { checkClientSan, subjectAltNames } from './client-san.js';
import { PeerRefusedError } from './errors.js';

/** PEM material: a string, a Buffer, or several of them. */
export type Pem = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * The protocol versions, cipher suites and revocation lists of a TLS endpoint (etcd's
 * `--cipher-suites`, `--tls-min-version`, `--tls-max-version`, `--client-crl-file` and
 * `--peer-crl-file`). Every field defaults to Node's setting.
 */
export interface TlsPolicy {
  /**
   * The TLS 1.2 cipher suites offered and accepted, OpenSSL names separated by colons
   * (`ECDHE-ECDSA-AES128-GCM-SHA256:...`). TLS 1.3 keeps its own suites, as in Go (and etcd).
   */
  ciphers?: string | undefined;
  /** The oldest protocol version taken. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** The newest protocol version offered. */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** Certificate revocation lists (PEM) a listener checks client certificates against: a listed certificate is refused in the handshake. */
  crl?: Pem | undefined;
}

/**
 * The Node TLS options of `policy`, for a listener (`crl` included) or a dialler.
 * @internal
 */
export function policyOptions(policy: TlsPolicy, listener: boolean): Pick<tls.SecureContextOptions, 'ciphers' | 'minVersion' | 'maxVersion' | 'crl'> {
  const out: Pick<tls.SecureContextOptions, 'ciphers' | 'minVersion' | 'maxVersion' | 'crl'> = {};
  if (policy.ciphers !== undefined) out.ciphers = policy.ciphers;
  if (policy.minVersion !== undefined) out.minVersion = policy.minVersion;
  if (policy.maxVersion !== undefined) out.maxVersion = policy.maxVersion;
  if (listener && policy.crl !== undefined) out.crl = pem(policy.crl);
  return out;
}

/**
 * Mutual TLS for peer links (`TcpTransportOptions.tls`). Every member presents `cert` both
 * as a server (to members dialling it) and as a client (when it dials).
 *
 * - The dialler always verifies the listener's certificate against `ca`.
 * - With `requestCert` (the default), the listener demands a client certificate signed by
 *   `ca`: a peer without one is refused during the TLS handshake, before any Raft byte is read
 *   (an `error` event with `PeerRefusedError` reason `'tls'`).
 * - A certificate is an identity (`bindMemberId`, on by default): the certificate of the
 *   other side must name the member id it claims (in the handshake when it dials, by the
 *   address it was dialled at when it listens), as its subject CN or a DNS/URI SAN, in one
 *   of the forms of {@link memberCertificateNames}: a valid certificate of member 3 cannot
 *   speak for member 2 (reason `'identity-mismatch'`).
 * - With `allowedNames`, the other side's certificate must also carry one of these names as
 *   its subject CN or as a DNS/IP/URI subject alternative name, on both sides of the link
 *   (reason `'name-not-allowed'`). It then replaces the dialler's host name check.
 *   Without it, the dialler checks the certificate against the host of the peer's address as
 *   HTTPS does (so certificates need an IP or DNS SAN matching the address).
 */
export interface TlsOptions extends TlsPolicy {
  /** This member's private key (PEM). */
  key: Pem;
  /** This member's certificate chain (PEM). */
  cert: Pem;
  /** The certificate authorities that sign members' certificates (PEM). */
  ca: Pem;
  /**
   * The certificate this member presents when it dials a peer (etcd's `--peer-client-cert-file`),
   * with {@link TlsOptions.clientKey}: for a PKI whose server certificates are not valid for
   * client authentication. Default: `cert` and `key` both ways.
   */
  clientCert?: Pem;
  /** The private key of {@link TlsOptions.clientCert} (etcd's `--peer-client-key-file`). */
  clientKey?: Pem;
  /** Whether the listener requires and verifies client certificates. Default `true`. */
  requestCert?: boolean;
  /** The certificate names (CN or SAN) allowed to connect; default: any certificate `ca` signed. */
  allowedNames?: readonly string[];
  /**
   * etcd's `--peer-cert-allowed-cn`: the other side's certificate must have one of these as its
   * subject CN, exactly (or pass {@link TlsOptions.allowedHostnames}). Checked on both sides of a
   * link, as etcd checks it, besides the dialler's host name check.
   */
  allowedCommonNames?: readonly string[];
  /**
   * etcd's `--peer-cert-allowed-hostname`: the other side's certificate must be valid for one of
   * these host names (a DNS or IP SAN, as HTTPS checks it), or pass
   * {@link TlsOptions.allowedCommonNames}.
   */
  allowedHostnames?: readonly string[];
  /**
   * Whether a peer's certificate must name the member id it speaks for (see
   * {@link memberCertificateNames}). Default `true`; `false` accepts any certificate `ca`
   * signed (and `allowedNames` permits) for any member id.
   */
  bindMemberId?: boolean;
  /**
   * etcd's peer listener check of a dialling member's certificate against the address it connects
   * from (on in etcd unless `--experimental-peer-skip-client-san-verification`): when the
   * certificate has IP or DNS subject alternative names, the remote IP must be one of the IP SANs,
   * or one of the DNS SANs must resolve to it (a forward lookup, or a reverse one of the IP,
   * which also matches `*.` wildcards); otherwise the connection is closed after the TLS
   * handshake (reason `'san-mismatch'`). A certificate with neither passes. Checked by the
   * listener only, within `handshakeTimeoutMs`. Default `false`.
   */
  verifyClientSan?: boolean;
}

/** The names of {@link memberCertificateNames}. */
export interface MemberCertificateNames {
  /** Names that bind the member when a CN or SAN equals one of them. */
  exact: string[];
  /** A DNS SAN starting with this binds the member. */
  dnsPrefix: string;
}

/**
 * The certificate names that bind member `id`: `member-<id>` as the CN or a DNS SAN, a DNS
 * SAN whose first label is `member-<id>` (as `member-2.raft.example.com`), or the URI SAN
 * `raftkit://member/<id>`.
 */
export function memberCertificateNames(id: number): MemberCertificateNames {
  return { exact: [`member-${id}`, `raftkit://member/${id}`], dnsPrefix: `member-${id}.` };
}

/**
 * Returns a refusal when the certificate does not name member `id` (see {@link memberCertificateNames}).
 * @internal
 */
export function checkMemberBinding(cert: tls.PeerCertificate | undefined, id: number, who: string): PeerRefusedError | undefined {
  const names = certificateNames(cert);
  const { exact, dnsPrefix } = memberCertificateNames(id);
  if (names.some((n) => exact.includes(n) || n.startsWith(dnsPrefix))) return undefined;
  return new PeerRefusedError('identity-mismatch', `${who}: certificate names [${names.join(', ')}] do not name member ${id}`, id);
}

type PemValue = string | Buffer | (string | Buffer)[];

/**
 * PEM material as Node's TLS options take it.
 * @internal
 */
export function pem(v: Pem): PemValue {
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
  if ((o.clientCert === undefined) !== (o.clientKey === undefined)) throw new ConfigInvalidError('tls.clientCert and tls.clientKey must be given together');
  for (const field of ['allowedNames', 'allowedCommonNames', 'allowedHostnames'] as const) {
    const v = o[field];
    if (v !== undefined && (!Array.isArray(v) || v.some((n) => typeof n !== 'string' || n === ''))) throw new ConfigInvalidError(`tls.${field} must be an array of non-empty strings`);
  }
  for (const field of ['bindMemberId', 'requestCert', 'verifyClientSan'] as const) {
    if (o[field] !== undefined && typeof o[field] !== 'boolean') throw new ConfigInvalidError(`tls.${field} must be a boolean`);
  }
  checkTlsPolicy(o, 'tls');
}

/**
 * Refuses a {@link TlsPolicy} Node's TLS would not take (a cipher list with no suite it knows,
 * a version it does not have, a CRL it cannot parse), with `field` in the message.
 * @internal
 */
export function checkTlsPolicy(policy: TlsPolicy, field: string): void {
  try {
    tls.createSecureContext(policyOptions(policy, true));
  } catch (e) {
    throw new ConfigInvalidError(`${field}: ${(e as Error).message}`);
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
  for (const [, value] of subjectAltNames(cert)) names.push(value);
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
 * Returns a refusal when `o` limits certificates by CN or host name (etcd's
 * `--peer-cert-allowed-cn`, `--peer-cert-allowed-hostname`) and the certificate passes neither.
 * @internal
 */
export function checkEtcdNames(cert: tls.PeerCertificate | undefined, o: TlsOptions, who: string): PeerRefusedError | undefined {
  const cns = o.allowedCommonNames;
  const hosts = o.allowedHostnames;
  if (cns === undefined && hosts === undefined) return undefined;
  if (cert !== undefined && cert !== null) {
    const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.['CN'];
    if (typeof cn === 'string' && cns?.includes(cn) === true) return undefined;
    if (hosts?.some((h) => validForHost(cert, h)) === true) return undefined;
  }
  const names = certificateNames(cert);
  return new PeerRefusedError('name-not-allowed', `${who}: certificate [${names.join(', ')}] has no allowed CN [${(cns ?? []).join(', ')}] and is valid for no allowed host name [${(hosts ?? []).join(', ')}]`);
}

/**
 * Whether the certificate is valid for host name or IP `host`, as Go's `VerifyHostname` (and so
 * etcd's `--*-cert-allowed-hostname`) checks it: a DNS SAN (wildcards too) or an IP SAN; never the
 * subject CN, which Node's `checkServerIdentity` falls back to when there is no DNS SAN.
 * @internal
 */
export function validForHost(cert: tls.PeerCertificate, host: string): boolean {
  return tls.checkServerIdentity(host, { ...cert, subject: { ...cert.subject, CN: '' } }) === undefined;
}

/**
 * Opens a socket to peer `peer`; `onReady` runs once bytes may be written (after the TLS handshake).
 * @internal
 */
export type Connector = (host: string, port: number, onReady: () => void, peer: number) => net.Socket;

/**
 * A plain-TCP or TLS {@link Connector}.
 * @internal
 */
export function createConnector(o: TlsOptions | undefined): Connector {
  if (o === undefined) return (host, port, onReady) => net.connect({ host, port }, onReady);
  const allowed = o.allowedNames;
  const bind = o.bindMemberId ?? true;
  return (host, port, onReady, peer) => {
    const options: tls.ConnectionOptions = {
      host,
      port,
      key: pem(o.clientKey ?? o.key),
      cert: pem(o.clientCert ?? o.cert),
      ca: pem(o.ca),
      rejectUnauthorized: true,
      ...policyOptions(o, false),
    };
    if (!net.isIP(host)) options.servername = host;
    const etcdNames = o.allowedCommonNames !== undefined || o.allowedHostnames !== undefined;
    if (allowed !== undefined || bind || etcdNames) {
      options.checkServerIdentity = (h, cert) => {
        const who = `dialling member ${peer} at ${host}:${port}`;
        const base = allowed !== undefined ? checkAllowedNames(cert, allowed, who) : tls.checkServerIdentity(h, cert);
        return base ?? checkEtcdNames(cert, o, who) ?? (bind ? checkMemberBinding(cert, peer, who) : undefined);
      };
    }
    return tls.connect(options, onReady);
  };
}

/**
 * Creates the listener: plain TCP, or TLS that refuses bad certificates and names before
 * `onSocket` ever sees the connection, and closes a connection whose TLS handshake is not
 * done within `handshakeTimeoutMs`.
 * @internal
 */
export function createListener(
  o: TlsOptions | undefined,
  handshakeTimeoutMs: number,
  onSocket: (socket: net.Socket) => void,
  onRefused: (error: PeerRefusedError, socket: net.Socket) => void,
): net.Server {
  if (o === undefined) return net.createServer(onSocket);
  const requestCert = o.requestCert ?? true;
  const server = tls.createServer(
    // The TLS handshake gets the same deadline as raftkit's own handshake.
    { key: pem(o.key), cert: pem(o.cert), ca: pem(o.ca), requestCert, rejectUnauthorized: requestCert, handshakeTimeout: handshakeTimeoutMs, ...policyOptions(o, true) },
    (socket) => {
      const cert = requestCert ? socket.getPeerCertificate() : undefined;
      const refuse = (refusal: PeerRefusedError): void => {
        onRefused(refusal, socket);
        socket.destroy();
      };
      const refusal = cert === undefined ? undefined : checkAllowedNames(cert, o.allowedNames, 'accepting') ?? checkEtcdNames(cert, o, 'accepting');
      if (refusal !== undefined) return refuse(refusal);
      if (cert === undefined || o.verifyClientSan !== true) return onSocket(socket);
      // The SAN check may look names up: the socket waits (its bytes buffered) until it is done.
      socket.on('error', () => undefined); // followed by 'close'
      void withDeadline(checkClientSan(cert, socket.remoteAddress ?? ''), handshakeTimeoutMs).then((san) => {
        if (socket.destroyed) return;
        if (san === 'timeout') refuse(new PeerRefusedError('san-mismatch', `accepting: the SAN check of ${socket.remoteAddress ?? '?'} took over ${handshakeTimeoutMs} ms`));
        else if (san !== undefined) refuse(san);
        else onSocket(socket);
      });
    },
  );
  server.on('tlsClientError', (err, socket) => {
    onRefused(new PeerRefusedError('tls', `TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${err.message}`, undefined, { cause: err }), socket);
    socket.destroy();
  });
  return server;
}

/** `p`'s value, or `'timeout'` when it takes more than `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
