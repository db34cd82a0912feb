/**
 * The options of `net.Server.listen` for a TCP listener, with `reusePort` (SO_REUSEPORT), which
 * Node has from 22.12 and 23.1 on (the typings of Node 20 do not have it).
 * @module
 */
import type * as net from 'node:net';

/**
 * `listen`'s options for `host:port`; with `reusePort`, SO_REUSEPORT is set on the socket so
 * that other sockets may bind the same port (etcd's `--socket-reuse-port`). A Node older than
 * 22.12 (23.1 in 23.x) ignores `reusePort`: callers that promise it check the version first.
 * SO_REUSEADDR needs no option: libuv sets it on every TCP listener on Unix.
 */
export function listenOptions(host: string, port: number, reusePort = false): net.ListenOptions {
  const options: net.ListenOptions & { reusePort?: boolean } = { host, port };
  if (reusePort) options.reusePort = true;
  return options;
}
