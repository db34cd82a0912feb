/**
 * Coalesced writes on a server-side gRPC stream of grpc-js.
 *
 * grpc-js's server stream is an object-mode `Writable` with `_write` only, so it hands a
 * message to HTTP/2 only after the previous one's write has completed: a burst of k messages
 * (a watcher's events of one applied batch of revisions) costs k socket writes and k turns of
 * the event loop. etcd's server (grpc-go) queues messages and flushes them together. Giving the
 * stream a `_writev` does the same here: the messages queued while a write is in flight reach
 * HTTP/2 together, where Node's `Http2Stream` writes them with one `writev`. The messages
 * themselves are unchanged, each its own gRPC message.
 * @module
 */
import type { Writable } from 'node:stream';

/** The part of grpc-js's server call under its stream object that sends one message. */
interface SendsMessages {
  sendMessage(message: unknown, callback: () => void): void;
}

/** A chunk queued in a `Writable`, as `_writev` receives it. */
interface Queued {
  chunk: unknown;
}

const ignore = (): void => undefined;

/**
 * Makes `stream` (a grpc-js server stream) pass the messages queued while a write is in flight
 * to grpc-js together. Each message still goes through grpc-js's `sendMessage` (framing, size
 * limit, metrics), in order; the callback of the batch runs once the last one is written
 * (HTTP/2 completes writes in order). Returns false, and changes nothing, when the stream does not
 * have grpc-js's inner call (another grpc-js version): writes then go one at a time, as before.
 * @internal
 */
export function coalesceWrites(stream: Writable): boolean {
  const inner = (stream as unknown as { call?: Partial<SendsMessages> }).call;
  if (typeof inner?.sendMessage !== 'function') return false;
  const call = inner as SendsMessages;
  (stream as unknown as { _writev: (chunks: Queued[], callback: () => void) => void })._writev = (chunks, callback) => {
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) call.sendMessage(chunks[i]!.chunk, ignore);
    call.sendMessage(chunks[last]!.chunk, callback);
  };
  return true;
}
