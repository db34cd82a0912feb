/**
 * A unary response's trailers sent in the turn of the event loop that sends its message.
 *
 * grpc-js answers a unary call with `write(message)`, `end()`, and the trailers (`grpc-status`)
 * on the stream's `wantTrailers`. Node's HTTP/2 writes the message from its immediate queue, and
 * asks for the trailers in that same pass. But `Http2Stream.sendTrailers` hands them to nghttp2
 * from a `setImmediate`, and the session's flush that this then schedules runs only in the NEXT
 * turn of the loop: after its timers and every I/O callback then ready (a leader's peer messages,
 * the WAL's completions). The client gets the message at once and its status a turn later;
 * etcd's server writes them together.
 *
 * `Http2Stream.close(NGHTTP2_NO_ERROR)` flushes the session at once (Node sends what nghttp2
 * holds before it would queue a reset). Called right after the trailers are handed over, it
 * writes them in the same turn; their END_STREAM closes the stream (its request side has ended),
 * Node destroys it, and no RST_STREAM is sent. test/etcd/trailer-flush.test.ts checks this on the
 * wire, and fails if a Node or grpc-js change makes it untrue.
 *
 * The flush is only done when nothing can make it wait: a plain TCP session (TLS and JS sockets
 * complete writes later) with no socket write in flight. A flush that had to wait for a write
 * would leave Node a reset to send after the trailers; such a stream keeps Node's own timing.
 * No message write is touched, so flow control and backpressure are as before.
 *
 * Calls answered together share one flush. Node asks for the trailers of every message it sends
 * in one pass (one socket write), so their trailers are handed over one after another; the flush
 * is queued once they all are (from a microtask, behind every trailer's immediate), and the first
 * stream's close writes all of them in one socket write, which ends the other streams too. A flush
 * per stream, queued between their trailers, wrote one socket write per call: about 9% of a
 * member's CPU on 16 serializable reads in flight.
 * @module
 */
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

/** grpc-js's unary call object: its inner server call, which holds the HTTP/2 stream. */
interface HasStream {
  readonly call?: { readonly stream?: unknown } | undefined;
}

function isTrailerStream(s: unknown): s is TrailerStream {
  if (typeof s !== 'object' || s === null) return false;
  const t = s as Partial<TrailerStream>;
  return typeof t.sendTrailers === 'function' && typeof t.close === 'function';
}

/**
 * Makes the trailers of unary call `call` (grpc-js's `ServerUnaryCall`, about to be answered
 * with a message) leave in the event-loop turn that sends its message, instead of the next one.
 * Sets `sendTrailers` on this call's own HTTP/2 stream object: no prototype is changed. Returns
 * false, changing nothing, when the call does not hold grpc-js's inner call and stream (another
 * grpc-js version): its trailers then go a turn later, as before.
 * @internal
 */
export function flushTrailersEarly(call: object): boolean {
  return flushStreamTrailersEarly((call as HasStream).call?.stream);
}

/**
 * Makes the trailers of `stream` (a Node `ServerHttp2Stream` about to end with a unary answer)
 * leave in the event-loop turn that sends its message, as {@link flushTrailersEarly} does for a
 * grpc-js call. Returns false, changing nothing, when `stream` is not such a stream.
 * @internal
 */
export function flushStreamTrailersEarly(stream: unknown): boolean {
  if (!isTrailerStream(stream)) return false;
  stream.sendTrailers = sendTrailersThenFlush;
  return true;
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
