import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import type { AuthorityRewriter } from './authority-rewriter.js';
import { Http2InputError } from './errors.js';

/**
 * A client connection as the gRPC server sees it once its `:authority` needs rewriting: reads
 * are the client's octets through an {@link AuthorityRewriter}, writes go to the socket unchanged.
 * Closing either side closes both. Malformed input from the client closes the socket and is
 * reported through `onRefused`.
 */
export class RewrittenConnection extends Duplex {
  private readonly socket: net.Socket;
  private readonly rewriter: AuthorityRewriter;
  private readonly onRefused: (err: Http2InputError) => void;

  /**
   * @param socket - the client's socket (plain or TLS), paused, its 'data' listeners removed.
   * @param rewriter - the rewriter that has read the connection so far.
   * @param first - the rewritten octets produced so far, handed to the server first.
   * @param onRefused - called once if the client's input is refused.
   */
  constructor(socket: net.Socket, rewriter: AuthorityRewriter, first: readonly Buffer[], onRefused: (err: Http2InputError) => void) {
    super({ allowHalfOpen: false });
    this.socket = socket;
    this.rewriter = rewriter;
    this.onRefused = onRefused;
    for (const b of first) this.push(b);
    socket.on('data', this.onData);
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
  }

  /** The client's address, as the socket's. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The client's port, as the socket's. */
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  private readonly onData = (chunk: Buffer): void => {
    let out: Buffer[];
    try {
      out = this.rewriter.push(chunk);
    } catch (err) {
      // Hostile input must never take the process down: anything else the parser throws is refused too.
      this.onRefused(err instanceof Http2InputError ? err : new Http2InputError('frame', `HTTP/2: unparsable input (${String(err)})`));
      this.socket.destroy();
      return;
    }
    let more = true;
    for (const b of out) more = this.push(b);
    if (!more) this.socket.pause();
  };

  /** Resumes the socket when the server wants more. */
  override _read(): void {
    this.socket.resume();
  }

  /** Writes the server's octets to the socket as they are. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, (err) => {
      callback(err ?? null);
    });
  }

  /** Ends the socket's writable side. */
  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  /** Destroys the socket. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
