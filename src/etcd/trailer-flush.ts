/**
 * A unary response's HEADERS, message and trailers sent in one socket write.
 *
 * grpc-js answers a unary call with `write(message)`, then, once that write has completed (the
 * socket written), `end()` and the trailers (`grpc-status`) on the stream's `wantTrailers`. So
 * Node's HTTP/2 sends a response in two socket writes at least: the HEADERS and the message, then
 * the trailers. Worse, `Http2Stream.sendTrailers` hands the trailers to nghttp2 only from a
 * `setImmediate` ("so we don't do it on nghttp2 stack"), and the session write this schedules runs
 * in the NEXT turn of the loop, after its timers and every I/O callback then ready. etcd's server
 * writes all three together. On loopback each socket write costs the sender a TCP send and the
 * receiving client a wake-up and a read: with a few calls answered per turn, the second write was
 * a large part of a member's and the client's CPU per serializable read.
 *
 * The direct path, when the stream's native handle is reachable (Node's `kHandle` property, a Node
 * release whose header-list format is known) and grpc-js's inner call is (its `sendStatus`):
 * 1. `endUnaryEarly`, right after grpc-js has written the message, ends the call as grpc-js's own
 *    write callback would (`sendStatus` OK: its `wantTrailers` listener and `end()`) and shuts the
 *    stream's writable side at once (`_final`), as Node itself does after a last write when a
 *    stream has no trailers: nghttp2 then packs the message as the last DATA, and asks for the
 *    trailers (Node's `wantTrailers`) in that same send.
 * 2. `sendTrailers` (set on the stream by `flushTrailersEarly`) runs Node's own (checks and
 *    bookkeeping; it queues its hand-over for an immediate) and then gives the trailers to the
 *    handle's `trailers` at once. nghttp2 is made for trailers submitted from inside its data
 *    source callback (its author's guide: set EOF and NO_END_STREAM, then call
 *    `nghttp2_submit_trailer` there), and packs them in the same send. Node's queued hand-over then
 *    finds the stream destroyed (its END_STREAM went out), or submits nothing: this handle's
 *    `trailers` is replaced on the instance by one that does nothing.
 * 3. The trailers' END_STREAM closes the stream inside that send, before the socket write that
 *    completes the message's write; Node then destroys the stream at once, and the write's late
 *    completion on a destroyed stream builds an `ERR_STREAM_DESTROYED` (a stack trace, about as
 *    costly as the write saved). So `endUnaryEarly` also sets the stream's `destroy` so that a plain
 *    destroy (no error) while the message's write is in flight does nothing: the write completes in
 *    that same send, the stream finishes, and Node's own 'finish' handler destroys it. A destroy with
 *    an error, or once the write is done, is Node's.
 * The HEADERS, DATA and trailers of every call answered in one pass leave in ONE socket write.
 * grpc-js's write callback still runs later and finds the call ended (it does nothing more).
 *
 * The fallback (no reachable handle, an unknown Node, headers this module does not encode):
 * `Http2Stream.close(NGHTTP2_NO_ERROR)` flushes the session at once (Node sends what nghttp2
 * holds before it would queue a reset). Called right after the trailers are handed over, it
 * writes them in the same turn, in a second write; their END_STREAM closes the stream (its request
 * side has ended), Node destroys it, and no RST_STREAM is sent. The flush is only done when nothing
 * can make it wait: a plain TCP session (TLS and JS sockets complete writes later) with no socket
 * write in flight. A flush that had to wait for a write would leave Node a reset to send after the
 * trailers; such a stream keeps Node's own timing. Calls answered together share one flush (queued
 * from a microtask, behind every trailer's immediate): a flush per stream wrote one socket write
 * per call, about 9% of a member's CPU on 16 serializable reads in flight.
 *
 * Flow control and backpressure are Node's and nghttp2's as before: a message larger than the
 * stream's window still leaves in several sends, its trailers with the last.
 * test/etcd/trailer-flush.test.ts checks the writes on the wire.
 * @module
 */
import { status as Status } from '@grpc/grpc-js';
import { constants } from 'node:http2';

/** The part of Node's `ServerHttp2Stream` used here. */
interface TrailerStream {
  sendTrailers(headers: Record<string, unknown>): void;
  close(code?: number): void;
  readonly closed: boolean;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  readonly writableFinished: boolean;
  readonly session?: TrailerSession | undefined;
}

/** The part of Node's `Http2Session` read here: TLS or not, and its socket's native write queue. */
interface TrailerSession {
  readonly encrypted?: boolean | undefined;
  readonly socket?: { readonly _handle?: { readonly writeQueueSize?: unknown } | null } | undefined;
}

/** Node's native HTTP/2 stream handle: the part used here. */
interface NativeStream {
  /** Submits trailers to nghttp2 (Node's header-list format); 0 on success, an nghttp2 error code otherwise. */
  trailers(list: [string, number]): number;
}

/** grpc-js's unary call object: its inner server call, which holds the HTTP/2 stream. */
interface HasStream {
  readonly call?: { readonly stream?: unknown; sendStatus?: unknown } | undefined;
}

/** The part of Node's `ServerHttp2Stream` {@link endUnaryEarly} uses. */
interface EndingStream {
  sendTrailers(headers: Record<string, unknown>): void;
  _final(callback: (error?: Error | null) => void): void;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  readonly destroyed: boolean;
}

function isTrailerStream(s: unknown): s is TrailerStream {
  if (typeof s !== 'object' || s === null) return false;
  const t = s as Partial<TrailerStream>;
  return typeof t.sendTrailers === 'function' && typeof t.close === 'function';
}

/**
 * Makes the trailers of unary call `call` (grpc-js's `ServerUnaryCall`, about to be answered
 * with a message) leave in the socket write that sends its message (or, in the fallback, in the
 * same event-loop turn), instead of a turn later.
 * Sets `sendTrailers` on this call's own HTTP/2 stream object: no prototype is changed. Returns
 * false, changing nothing, when the call does not hold grpc-js's inner call and stream (another
 * grpc-js version): its trailers then go a turn later, as before.
 * @internal
 */
export function flushTrailersEarly(call: object): boolean {
  const stream = (call as HasStream).call?.stream;
  if (!isTrailerStream(stream)) return false;
  stream.sendTrailers = nativeStream(stream) === undefined ? sendTrailersThenFlush : sendTrailersNow;
  return true;
}

/**
 * Ends unary call `call` (grpc-js's `ServerUnaryCall`) just answered with a message, so that its
 * HEADERS, message and trailers leave in one socket write (see the module's notes): grpc-js's OK
 * status now (what its message's write callback would do later) and the stream's writable side
 * shut at once. Only on a stream whose trailers {@link flushTrailersEarly} gives nghttp2 directly,
 * whose message is written and not yet ended (grpc-js did not answer an error instead); returns
 * whether it ended the call, changing nothing otherwise.
 * @internal
 */
export function endUnaryEarly(call: object): boolean {
  const inner = (call as HasStream).call;
  const stream = inner?.stream as Partial<EndingStream> | undefined;
  if (inner === undefined || typeof inner.sendStatus !== 'function' || stream === undefined || stream.sendTrailers !== sendTrailersNow) return false;
  if (typeof stream._final !== 'function' || stream.destroyed !== false || stream.writableEnded !== false || !(stream.writableLength! > 0)) return false;
  (inner.sendStatus as (status: { code: number; details: string; metadata: null }) => void).call(inner, { code: Status.OK, details: 'OK', metadata: null });
  stream._final(ignore);
  (stream as unknown as { destroy: (e?: Error) => unknown }).destroy = destroyAfterWrite;
  return true;
}

/**
 * Node's `destroy`, except a plain one (no error) while the message's write is in flight: the
 * stream is then destroyed by Node's own 'finish' handler once that write completes (see the
 * module's notes, step 3); an error still destroys it at once.
 */
function destroyAfterWrite(this: { writableFinished: boolean; writableLength: number }, err?: Error): unknown {
  if (err === undefined && !this.writableFinished && this.writableLength > 0) return this;
  return (Object.getPrototypeOf(this) as { destroy: (e?: Error) => unknown }).destroy.call(this, err);
}

/** A callback that needs nothing done. */
function ignore(): void {
  return undefined;
}

/**
 * Node releases whose header-list format (`mapToHeaders`: `name\0value\0flags` per field, then the
 * count) this module writes; on others the fallback flush is used.
 */
const KNOWN_NODE = (() => {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20 && major <= 24;
})();

/** Node's `kHandle` symbol, found on the first stream that has it (undefined until then, or when never). */
let handleKey: symbol | undefined;

/** The native handle of `stream`, when this Node exposes one this module can drive. */
function nativeStream(stream: object): NativeStream | undefined {
  if (!KNOWN_NODE) return undefined;
  handleKey ??= Object.getOwnPropertySymbols(stream).find((k) => k.description === 'kHandle');
  if (handleKey === undefined) return undefined;
  const handle = (stream as Record<symbol, unknown>)[handleKey];
  if (typeof handle !== 'object' || handle === null || typeof (handle as Partial<NativeStream>).trailers !== 'function') return undefined;
  return handle as NativeStream;
}

/** Node's flag byte of a header field that may be indexed (`NGHTTP2_NV_FLAG_NONE`). */
const NO_FLAGS = '\0';

/**
 * `headers` in Node's native header-list format, or undefined for what this module does not
 * encode (Node's own path then takes them): symbol keys (sensitive-header marks), pseudo-headers,
 * NUL bytes, or values other than strings, numbers and arrays of them.
 */
function headerList(headers: Record<string, unknown>): [string, number] | undefined {
  if (Object.getOwnPropertySymbols(headers).length > 0) return undefined;
  let out = '';
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (name === '' || name.startsWith(':') || name.includes('\0')) return undefined;
    const key = name.toLowerCase();
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof v !== 'string' && typeof v !== 'number') return undefined;
      const text = String(v);
      if (text.includes('\0')) return undefined;
      out += `${key}\0${text}\0${NO_FLAGS}`;
      count++;
    }
  }
  return [out, count];
}

/** A native `trailers` that submits nothing: Node's own (deferred) hand-over, once the trailers went already. */
function submitted(): number {
  return 0;
}

/**
 * Node's own `sendTrailers` (checks, bookkeeping, and its hand-over queued for an immediate), then
 * the trailers given to nghttp2 at once: called from `wantTrailers`, inside nghttp2's send of the
 * message, they leave in the same socket write. Headers this module does not encode, or a
 * submission nghttp2 refuses, leave Node's queued hand-over to do it (with the fallback flush).
 */
function sendTrailersNow(this: TrailerStream, headers: Record<string, unknown>): void {
  (Object.getPrototypeOf(this) as TrailerStream).sendTrailers.call(this, headers);
  const handle = nativeStream(this);
  const list = headerList(headers);
  if (handle !== undefined && list !== undefined && handle.trailers(list) === 0) {
    handle.trailers = submitted;
    return;
  }
  if (waiting.push(this) === 1) queueMicrotask(queueFlush);
}

/** Streams whose trailers are queued for Node's immediate, with no flush queued behind it yet. */
let waiting: TrailerStream[] = [];

/**
 * Node's own `sendTrailers` (which hands the trailers over at `setImmediate`); the stream then
 * waits, with every stream whose trailers are handed over in the same synchronous pass, for one
 * flush queued behind all their immediates.
 */
function sendTrailersThenFlush(this: TrailerStream, headers: Record<string, unknown>): void {
  (Object.getPrototypeOf(this) as TrailerStream).sendTrailers.call(this, headers);
  if (waiting.push(this) === 1) queueMicrotask(queueFlush);
}

/** Queues one flush for the streams waiting (their trailers' immediates are all queued by now). */
function queueFlush(): void {
  const batch = waiting;
  waiting = [];
  setImmediate(flushAll, batch);
}

/** Flushes each stream of `batch` still open: the first flush writes every trailer nghttp2 holds, ending the others. */
function flushAll(batch: readonly TrailerStream[]): void {
  for (const stream of batch) flush(stream);
}

/** Flushes the session of `stream`, whose trailers nghttp2 now holds, unless that could wait (see the module's notes). */
function flush(stream: TrailerStream): void {
  if (stream.closed || stream.destroyed || !stream.readableEnded || !stream.writableFinished) return;
  const session = stream.session;
  if (session === undefined || session.encrypted === true || session.socket?._handle?.writeQueueSize !== 0) return;
  stream.close(constants.NGHTTP2_NO_ERROR);
}
