import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthorityRewriter } from './authority-rewriter.js';
import { Http2InputError, type Http2InputReason } from './errors.js';
import { EMPTY_SETTINGS } from './frames.js';
import { RewrittenConnection } from './rewritten-connection.js';

/**
 * How a connection was handed to the gRPC server: `direct` (the socket itself, its first request
 * having a plain `:authority`), `rewritten` (through a {@link RewrittenConnection}), or `undecided`
 * (after the door's byte or time bound without a complete first request: the socket itself with
 * its octets unchanged, or through the rewriter while the door's SETTINGS is unacknowledged).
 */
export type AdmissionPath = 'direct' | 'rewritten' | 'undecided';

/** The client preface every HTTP/2 connection starts with. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** The start of an HTTP/1 request line: a method token and a space. */
const HTTP1_REQUEST = /^[A-Z]{1,16} /;

/**
 * What a connection's first octets say it speaks: `h2` (its start is the HTTP/2 preface, so far),
 * `http1` (a request line), `other`, or `undecided` (too few octets yet).
 */
function sniffProtocol(head: Buffer): 'h2' | 'http1' | 'other' | 'undecided' {
  const n = Math.min(head.length, PREFACE.length);
  if (head.subarray(0, n).equals(PREFACE.subarray(0, n))) return 'h2';
  const text = head.subarray(0, 17).toString('latin1');
  if (HTTP1_REQUEST.test(text)) return 'http1';
  return text.length < 17 && /^[A-Z]*$/.test(text) ? 'undecided' : 'other';
}

/** Settings of {@link admitConnection}. */
export interface DoorOptions {
  /** Hands a connection to the gRPC server (grpc-js's connection injector). */
  inject(connection: Duplex): void;
  /** Counts a connection closed for malformed HTTP/2. */
  onRefused(reason: Http2InputReason): void;
  /** Counts a connection handed over. */
  onAdmitted(path: AdmissionPath): void;
  /**
   * Takes a connection that speaks HTTP/1 (its first octets put back), as etcd's client URLs
   * answer `/health`, `/version` and `/metrics` over HTTP/1. Without it such a connection is
   * refused as malformed HTTP/2.
   */
  onHttp1?: (socket: net.Socket) => void;
  /** The most octets read before deciding. Default 64 KiB. */
  maxSniffBytes?: number;
  /** The longest wait, in milliseconds, for the first complete request. Default 5000. */
  maxSniffMs?: number;
}

/**
 * The door of a client connection to the gRPC server. It reads the client's octets up to its
 * first complete header block, answering the client preface with an empty SETTINGS frame at once
 * (grpc-go sends no request before it has a server preface) and removing the client's
 * acknowledgement of it. If that block's `:authority` has no scheme (every client but etcdctl's
 * `--cluster` calls), the socket itself goes to the server with the octets read put back: nothing
 * is parsed afterwards. If it has one, the server gets a {@link RewrittenConnection}. Malformed
 * HTTP/2 closes the socket and is counted; past the byte or time bound the socket goes to the
 * server unchanged (its own HTTP/2 rules apply), through the rewriter only if the door's SETTINGS
 * is still unacknowledged. With `onHttp1`, a connection whose first octets are an HTTP/1
 * request line goes there instead.
 * @param socket - an accepted client socket (plain or TLS), not yet read.
 * @param options - where connections go and what is counted.
 */
export function admitConnection(socket: net.Socket, options: DoorOptions): void {
  const maxBytes = options.maxSniffBytes ?? 64 * 1024;
  const rewriter = new AuthorityRewriter({ dropFirstSettingsAck: true });
  const out: Buffer[] = [];
  let read = 0;
  let answered = false;
  let done = false;
  const finish = (): void => {
    done = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
  };
  const handOver = (path: 'direct' | 'undecided'): void => {
    finish();
    // Octets held while sniffing for HTTP/1 were never parsed: they go back as they came.
    if (head !== undefined) {
      out.push(head);
      head = undefined;
    }
    if (rewriter.settingsAckPending && answered) {
      // The client has not acknowledged the door's SETTINGS yet: only the rewriter can still remove
      // that acknowledgement (nghttp2 would take it as a protocol error), so it stays in the way.
      options.onAdmitted(path);
      options.inject(new RewrittenConnection(socket, rewriter, out, (e) => {
        options.onRefused(e.reason);
      }));
      return;
    }
    const rest = Buffer.concat([...out, ...rewriter.release()]);
    if (rest.length > 0) socket.unshift(rest);
    options.onAdmitted(path);
    options.inject(socket);
  };
  // The first octets, while it is not yet known whether they are HTTP/2 or HTTP/1.
  let head: Buffer | undefined = options.onHttp1 === undefined ? undefined : Buffer.alloc(0);
  const onData = (data: Buffer): void => {
    read += data.length;
    let chunk = data;
    if (head !== undefined) {
      head = Buffer.concat([head, data]);
      const kind = sniffProtocol(head);
      if (kind === 'undecided' || (kind === 'h2' && head.length < PREFACE.length)) return;
      if (kind === 'http1') {
        finish();
        socket.unshift(head);
        options.onHttp1!(socket);
        return;
      }
      chunk = head;
      head = undefined;
    }
    try {
      out.push(...rewriter.push(chunk));
    } catch (err) {
      // Hostile input must never take the process down: anything else the parser throws is refused too.
      finish();
      options.onRefused(err instanceof Http2InputError ? err.reason : 'frame');
      socket.destroy();
      return;
    }
    if (!answered && rewriter.prefaceReceived) {
      answered = true;
      socket.write(EMPTY_SETTINGS);
    }
    if (rewriter.rewriting) {
      finish();
      options.onAdmitted('rewritten');
      options.inject(new RewrittenConnection(socket, rewriter, out, (e) => {
        options.onRefused(e.reason);
      }));
    } else if (rewriter.headerBlocks > 0 && !rewriter.settingsAckPending) {
      handOver('direct');
    } else if (read >= maxBytes) {
      handOver('undecided');
    }
  };
  const onClose = (): void => {
    if (!done) finish();
  };
  const timer = setTimeout(() => {
    if (!done) handOver('undecided');
  }, options.maxSniffMs ?? 5000);
  socket.on('error', () => undefined);
  socket.on('close', onClose);
  socket.on('data', onData);
}
