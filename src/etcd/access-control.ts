/**
 * etcd's access controller in front of the HTTP it serves on its client URLs (the JSON gateway,
 * its websocket proxy, `/health`, `/version`, `/metrics`): the host whitelist (`--host-whitelist`,
 * checked on plain-text connections only, against DNS rebinding: CVE-2018-5702), the CORS headers
 * from the allowed origins (`--cors`), and an empty 200 to every `OPTIONS` (a browser's preflight).
 * @module
 */
import type * as http from 'node:http';
import { plainError } from './http.js';

/** Who may call the client URLs' HTTP, as etcd's `--cors` and `--host-whitelist` say. */
export interface AccessPolicy {
  /** Origins answered with CORS headers; empty or `*`: every origin (`*`). */
  cors: readonly string[];
  /** Host names plain-text requests may name in their `Host`; empty or `*`: any. */
  hostWhitelist: readonly string[];
}

/** etcd's defaults: every origin, every host. */
export const OPEN_ACCESS: AccessPolicy = { cors: ['*'], hostWhitelist: ['*'] };

/** The request's host name without its port, as Go's `net.SplitHostPort` takes it (the whole value when it has no port). */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]*)\]:\d*$/.exec(host);
  if (bracketed !== null) return bracketed[1]!;
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** Whether `req`, on a connection that is `secure` (TLS) or not, may be served under `policy`'s host whitelist. */
export function hostAllowed(policy: AccessPolicy, req: http.IncomingMessage, secure: boolean): boolean {
  const list = policy.hostWhitelist;
  if (secure || list.length === 0 || list.includes('*')) return true;
  const host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
  return list.includes(hostName(host));
}

/** etcd's answer to a request whose `Host` is not whitelisted (its status 421, Misdirected Request). */
function refusal(host: string): string {
  return `\netcd received your request, but the Host header was unrecognized.\n\nTo fix this, choose one of the following options:\n- Enable TLS, then any HTTPS request will be allowed.\n- Add the hostname you want to use to the whitelist in settings.\n  - e.g. etcd --host-whitelist ${JSON.stringify(host)}\n\nThis requirement has been added to help prevent "DNS Rebinding" attacks (CVE-2018-5702).\n\n`;
}

/**
 * Runs etcd's access controller on `req`: refuses a plain-text request to a host not whitelisted
 * (421), sets the CORS headers on `res` (`*`, or the request's origin when it is allowed), and
 * answers an `OPTIONS` request. Returns true when it answered, false when the request goes on.
 */
export function controlAccess(policy: AccessPolicy, req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): boolean {
  if (!hostAllowed(policy, req, secure)) {
    const host = hostName(req.headers.host ?? '');
    plainError(res, 421, refusal(host));
    return true;
  }
  const anyOrigin = policy.cors.length === 0 || policy.cors.includes('*');
  const origin = req.headers.origin;
  const allowed = anyOrigin ? '*' : origin !== undefined && policy.cors.includes(origin) ? origin : undefined;
  if (allowed !== undefined) {
    res.setHeader('access-control-allow-methods', 'POST, GET, OPTIONS, PUT, DELETE');
    res.setHeader('access-control-allow-origin', allowed);
    res.setHeader('access-control-allow-headers', 'accept, content-type, authorization');
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(200).end();
    return true;
  }
  return false;
}
