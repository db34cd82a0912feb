/**
 * Unary calls answered straight from their HTTP/2 stream, beside grpc-js.
 *
 * grpc-js builds, for every call, an intercepting call with its own stream decoder, metadata
 * object, read queue, listener chain and promise-based decompression, a `ServerUnaryCall` event
 * emitter, and answers through a write callback that only then ends the stream. On etcd's
 * small unary calls that is most of the server's own per-call cost: a bare grpc-js server
 * answering a fixed Range spends about 40% more CPU per call than the same answer written on
 * `node:http2` (`bench/grpc-floor.ts`, 16 calls in flight).
 *
 * {@link UnaryPath} takes the unary calls of the methods registered with it, when their request
 * is plain gRPC (`application/grpc` content, no message compression), and answers them on the
 * stream itself, as grpc-js would on the wire: the same response headers, trailers, status codes
 * and messages for a malformed call (an invalid `grpc-timeout`, no request message or two, one
 * over the receive limit, one that does not deserialize, a handler that throws), the deadline
 * answered with DEADLINE_EXCEEDED, and the call's `cancelled` event when its stream closes
 * unanswered. Everything else (streams, compressed requests, unknown methods, other content
 * types) goes to grpc-js unchanged, on the same connection: the HTTP/2 session stays grpc-js's
 * (settings, keepalive, shutdown), only its `stream` event is routed.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { status as Status, type Metadata, type Server, type StatusObject } from '@grpc/grpc-js';
import { flushStreamTrailersEarly } from './trailer-flush.js';
import type { CallMetadata, UnaryCall, UnaryHandler } from './rpc.js';
import { StreamTables } from './http2/stream-tables.js';

/** A unary method served by a {@link UnaryPath}. */
export interface UnaryRoute {
  /** The request's decoder (a throw answers INTERNAL "Error deserializing request", as grpc-js). */
  readonly deserialize: (bytes: Buffer) => unknown;
  /** The response's encoder. */
  readonly serialize: (value: unknown) => Buffer;
  /** The handler, as registered with grpc-js. */
  readonly handler: UnaryHandler<unknown, unknown>;
}

/** grpc-js's response headers (it announces the encodings it could take, and sends identity). */
const RESPONSE_HEADERS = Object.freeze({
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});

/** grpc-js's trailers for an answered call. */
const OK_TRAILERS = Object.freeze({ 'grpc-status': '0', 'grpc-message': 'OK' });

/** grpc-js's pattern for `grpc-timeout` and the milliseconds of each unit. */
const TIMEOUT = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The gRPC message prefix: a compressed flag and a 32-bit big-endian length. */
const PREFIX_BYTES = 5;

/** The largest response message, here and in grpc-js (its `grpc.max_send_message_length`, as EtcdServer sets it). */
export const MAX_SEND_BYTES = 2 ** 31 - 1;

/**
 * The unary calls of registered methods, served on their HTTP/2 streams (see the module's notes).
 * `serve` decides per stream; {@link UnaryPath.attach} routes a grpc-js server's streams to it.
 */
export class UnaryPath {
  private readonly routes = new Map<string, UnaryRoute>();
  private readonly maxReceiveBytes: number;
  /** Keeps the sessions' stream tables young (see {@link StreamTables}); it sees every stream the server emits. */
  readonly streamTables = new StreamTables();
  #served = 0;

  /** @param maxReceiveBytes - the largest request message, in bytes (grpc-js's `grpc.max_receive_message_length`). */
  constructor(maxReceiveBytes: number) {
    this.maxReceiveBytes = maxReceiveBytes;
  }

  /**
   * Takes the HTTP/2 requests that are not gRPC (no `application/grpc` content type: `curl` over
   * TLS negotiates h2 for `/health`). Without it they go to grpc-js, which answers 415.
   */
  plainHttp: ((stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: unknown, rawHeaders: unknown) => void) | undefined = undefined;
  /** Sees each client connection's HTTP/2 session as it starts (the keepalive enforcement). */
  onSession: ((session: ServerHttp2Session) => void) | undefined = undefined;

  /** Calls taken by this path so far (not handed to grpc-js). */
  get served(): number {
    return this.#served;
  }

  /** Serves unary calls to `path` (`/package.Service/Method`) with `route`. */
  add(path: string, route: UnaryRoute): void {
    this.routes.set(path, route);
  }

  /** The route of `path` (`/package.Service/Method`), if one was added (the JSON gateway runs it too). */
  route(path: string): UnaryRoute | undefined {
    return this.routes.get(path);
  }

  /**
   * Takes `stream` when it is a call to a registered method in plain gRPC, and answers it;
   * returns false, touching nothing, for any other stream.
   */
  serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    const path = headers[':path'];
    if (path === undefined) return false;
    const route = this.routes.get(path);
    if (route === undefined) return false;
    const type = headers['content-type'];
    if (type === undefined || !type.startsWith('application/grpc')) return false;
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    this.#served++;
    new DirectCall(stream, headers, path, route, this.maxReceiveBytes);
    return true;
  }

  /**
   * Routes the streams of the HTTP/2 server that `createServer` makes inside grpc-js's `server`
   * (its connection injector) through this path first. Returns what `createServer` returned,
   * and whether the routing is in place: false when the grpc-js version keeps its HTTP/2
   * servers elsewhere, and every call then goes to grpc-js as before.
   */
  static attach<T>(server: Server, path: UnaryPath, createServer: () => T): { value: T; attached: boolean } {
    const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
    if (!(servers instanceof Map)) return { value: createServer(), attached: false };
    const before = new Set(servers.keys());
    const value = createServer();
    const added = [...servers.keys()].filter((s) => !before.has(s));
    if (added.length !== 1 || !(added[0] instanceof EventEmitter)) return { value, attached: false };
    const http2Server = added[0];
    http2Server.on('session', (session: ServerHttp2Session) => path.onSession?.(session));
    const grpcHandlers = http2Server.listeners('stream') as ((...args: unknown[]) => void)[];
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
      path.streamTables.opened(stream);
      if (path.serve(stream, headers)) return;
      if (path.plainHttp !== undefined && !(headers['content-type'] ?? '').startsWith('application/grpc')) {
        path.plainHttp(stream, headers, rest[0], rest[1]);
        return;
      }
      for (const h of grpcHandlers) h.call(http2Server, stream, headers, ...rest);
    });
    return { value, attached: true };
  }
}

/** Request headers grpc-js keeps out of a call's metadata. */
const HIDDEN_HEADERS = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);

/** The request metadata a handler reads: header values by name, as grpc-js's `Metadata.fromHttp2Headers` makes them. */
class HeaderMetadata implements CallMetadata {
  private readonly headers: IncomingHttpHeaders;

  constructor(headers: IncomingHttpHeaders) {
    this.headers = headers;
  }

  get(key: string): (string | Buffer)[] {
    const k = key.toLowerCase();
    const v = k.startsWith(':') || HIDDEN_HEADERS.has(k) ? undefined : this.headers[k];
    if (v === undefined) return [];
    if (!k.endsWith('-bin')) return typeof v === 'string' ? [v] : v;
    if (typeof v !== 'string') return v.map((x) => Buffer.from(x, 'base64'));
    // One header line may carry several binary values of custom metadata, comma-separated.
    return k.startsWith('grpc-') ? [Buffer.from(v, 'base64')] : v.split(',').map((x) => Buffer.from(x.trim(), 'base64'));
  }
}

/** A status to answer a call with. */
interface CallStatus {
  code: Status;
  details: string;
  metadata?: Metadata | undefined;
}

/** What a handler's callback may get as its error: a status's fields, an `Error`, or both. */
type HandlerError = Partial<StatusObject> & { message?: string };

/** A status to answer with: grpc-js's reading of a handler's error (`serverErrorToStatus`). */
function statusOf(error: HandlerError): CallStatus {
  const details = typeof error.message === 'string' ? error.message : 'Unknown Error';
  if (typeof error.code !== 'number' || !Number.isInteger(error.code)) return { code: Status.UNKNOWN, details, metadata: error.metadata };
  return { code: error.code, details: typeof error.details === 'string' ? error.details : details, metadata: error.metadata };
}

/**
 * A stream that could not take its answer (its session went away between the checks and the
 * write): reset, so that nothing waits on it; the answer is lost with the connection.
 */
function gone(stream: ServerHttp2Stream): void {
  stream.destroy();
}

/** No listener: a stream's errors come with its `close`, which answers for them. */
function ignore(): void {
  // nothing to do
}

/** One unary call on its stream: reads the request, runs the handler, answers. */
class DirectCall implements UnaryCall<unknown> {
  request: unknown = undefined;
  readonly metadata: HeaderMetadata;
  cancelled = false;
  private readonly stream: ServerHttp2Stream;
  private readonly path: string;
  private readonly route: UnaryRoute;
  private readonly maxReceiveBytes: number;
  private deadline = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private answered = false;
  private cancelListeners: (() => void)[] = [];
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** The length of the request message, once its prefix is in (-1 before). */
  private length = -1;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string, route: UnaryRoute, maxReceiveBytes: number) {
    this.stream = stream;
    this.path = path;
    this.route = route;
    this.maxReceiveBytes = maxReceiveBytes;
    this.metadata = new HeaderMetadata(headers);
    stream.on('error', ignore);
    stream.once('close', () => {
      this.closed();
    });
    const timeout = headers['grpc-timeout'];
    if (timeout !== undefined && !this.startDeadline(typeof timeout === 'string' ? timeout : (timeout[0] ?? ''))) return;
    stream.on('data', (chunk: Buffer) => {
      this.data(chunk);
    });
    stream.once('end', () => {
      this.end();
    });
  }

  getDeadline(): number {
    return this.deadline;
  }

  once(_event: 'cancelled', listener: () => void): this {
    this.cancelListeners.push(listener);
    return this;
  }

  off(_event: 'cancelled', listener: () => void): this {
    const i = this.cancelListeners.indexOf(listener);
    if (i >= 0) this.cancelListeners.splice(i, 1);
    return this;
  }

  /** Starts the deadline a `grpc-timeout` header gives; an invalid one is answered at once (false). */
  private startDeadline(value: string): boolean {
    const m = TIMEOUT.exec(value);
    if (m === null) {
      this.fail({ code: Status.INTERNAL, details: `Invalid grpc-timeout value "${value}"` });
      return false;
    }
    const ms = (Number(m[1]) * (UNIT_MS[m[2]!] ?? 0)) | 0;
    this.deadline = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.fail({ code: Status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
    }, ms);
    return true;
  }

  /**
   * A DATA chunk of the request. The receive limit is checked on the length prefix, before the
   * message is gathered (as grpc-js does); bytes past the message mean a second one, refused at
   * once, so that what is buffered stays within one message.
   */
  private data(chunk: Buffer): void {
    if (this.answered) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.length < 0 && this.bytes >= PREFIX_BYTES) {
      const head = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
      this.length = head.readUInt32BE(1);
      if (this.length > this.maxReceiveBytes) {
        this.fail({ code: Status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${String(this.length)} vs ${String(this.maxReceiveBytes)})` });
        return;
      }
    }
    if (this.length >= 0 && this.bytes > PREFIX_BYTES + this.length) {
      this.fail({ code: Status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.path}` });
    }
  }

  /** The request's end: one whole message runs the handler; none is refused as grpc-js refuses it. */
  private end(): void {
    if (this.answered) return;
    if (this.length < 0 || this.bytes < PREFIX_BYTES + this.length) {
      this.fail({ code: Status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.path}` });
      return;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    try {
      this.request = this.route.deserialize(all.subarray(PREFIX_BYTES));
    } catch {
      this.fail({ code: Status.INTERNAL, details: 'Error deserializing request' });
      return;
    }
    try {
      this.route.handler(this, (error, value) => {
        this.answer(error, value);
      });
    } catch {
      this.fail({ code: Status.UNKNOWN, details: 'Unknown error' });
    }
  }

  /** The handler's answer: its error as a status, or its value as the message and an OK status. */
  private answer(error: HandlerError | null, value: unknown): void {
    if (error !== null) {
      this.fail(statusOf(error));
      return;
    }
    if (this.answered || this.stream.destroyed || this.stream.closed) return;
    let body: Buffer;
    try {
      body = this.route.serialize(value);
    } catch {
      this.fail({ code: Status.INTERNAL, details: 'Error serializing response' });
      return;
    }
    if (body.length > MAX_SEND_BYTES) {
      this.fail({ code: Status.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${String(body.length + PREFIX_BYTES)} vs. ${String(MAX_SEND_BYTES)})` });
      return;
    }
    this.settle();
    const frame = Buffer.allocUnsafe(PREFIX_BYTES + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, PREFIX_BYTES);
    const stream = this.stream;
    try {
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => {
        stream.sendTrailers(OK_TRAILERS);
      });
      flushStreamTrailersEarly(stream);
      stream.end(frame);
    } catch {
      gone(stream);
    }
  }

  /** Answers the call with `status` (a trailers-only response), unless it is answered or gone. */
  private fail(status: CallStatus): void {
    if (this.answered || this.stream.destroyed || this.stream.closed) return;
    this.settle();
    this.chunks = [];
    try {
      this.stream.respond({
        ':status': 200, 'content-type': 'application/grpc+proto',
        'grpc-status': String(status.code), 'grpc-message': encodeURI(status.details),
        ...status.metadata?.toHttp2Headers(),
      }, { endStream: true });
      // What the client still sends is read and dropped.
      this.stream.resume();
    } catch {
      gone(this.stream);
    }
  }

  /** Marks the call answered: no deadline or cancellation after this. */
  private settle(): void {
    this.answered = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** The stream closed: a call not answered yet is cancelled (its handler hears `cancelled`). */
  private closed(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.answered) return;
    this.answered = true;
    this.cancelled = true;
    const listeners = this.cancelListeners;
    this.cancelListeners = [];
    if (listeners.length > 0) {
      process.nextTick(() => {
        for (const l of listeners) l();
      });
    }
  }
}
