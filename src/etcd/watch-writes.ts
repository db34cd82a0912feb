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
 *
 * A burst still costs grpc-js a hand-off per message (framing copy, size check, trace text, a write
 * and its callback), and HTTP/2 two writes when the first message goes out alone. With
 * {@link acceptFramed}, the stream also takes {@link FramedMessages}: several messages already
 * framed by the caller, written by grpc-js as they are in one write (etcd's grpc-go likewise
 * buffers a stream's messages and flushes them in one write). The messages, and the bytes on the
 * wire, are the same as when each is written alone.
 * @module
 */
import type { Writable } from 'node:stream';

/** The part of grpc-js's server call under its stream object that sends one message. */
interface SendsMessages {
  sendMessage(message: unknown, callback: () => void): void;
}

/** The part of grpc-js's base server call that turns a written value into a framed message. */
interface SerializesMessages {
  serializeMessage(value: unknown): Buffer;
}

/**
 * Messages already framed as gRPC's length-prefixed messages (zero compression flag, 4-byte
 * big-endian length, bytes), one after another: written as one chunk on a stream that
 * {@link acceptFramed} was called on, and only there.
 * @internal
 */
export class FramedMessages {
  /** The framed messages. */
  readonly bytes: Buffer;
  /** How many messages `bytes` holds (for the sent-messages count). */
  readonly count: number;
  /**
   * @param bytes - the framed messages.
   * @param count - how many messages `bytes` holds.
   */
  constructor(bytes: Buffer, count: number) {
    this.bytes = bytes;
    this.count = count;
  }
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

/**
 * Makes `stream` (a grpc-js server stream without interceptors) take {@link FramedMessages}: grpc-js
 * writes their bytes as they are, after the same checks and headers as any message, in order with
 * the stream's other writes, and `sent` is told how many messages went, and how many bytes (they do not pass through
 * the method's serializer, where sent messages are otherwise counted). Returns false, and changes
 * nothing, when the stream's inner call is not grpc-js's base call (another version, or
 * interceptors): the caller then writes its messages one by one.
 * @internal
 */
export function acceptFramed(stream: Writable, sent: (messages: number, bytes: number) => void): boolean {
  const inner = (stream as unknown as { call?: Partial<SerializesMessages> }).call;
  if (typeof inner?.serializeMessage !== 'function') return false;
  const call = inner as SerializesMessages;
  const serialize = call.serializeMessage.bind(call);
  call.serializeMessage = (value) => {
    if (!(value instanceof FramedMessages)) return serialize(value);
    // Each message of the batch has its 5-byte gRPC prefix in `bytes`.
    sent(value.count, value.bytes.length - 5 * value.count);
    return value.bytes;
  };
  return true;
}
