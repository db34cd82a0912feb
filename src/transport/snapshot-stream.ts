// Snapshots travel on their own short-lived connection so that a multi-megabyte MsgSnap
// never delays the heartbeats queued on the message connection. After the handshake
// (channel Snapshot), the encoded MsgSnap record is cut into chunk frames:
//   chunk frame payload: flag (1 byte: 0 = more follows, 1 = last chunk) + up to chunkSize bytes
// and the receiver answers with one ack frame whose payload is one byte: 1 = accepted,
// 0 = refused. The sender reports `finish` on an accepting ack and `failure` on anything else.
//
// A streamed snapshot (`sendSnapshotStream`: the MsgSnap's data is a small reference and the
// real bytes come from an async iterable) starts with one head frame instead:
//   head frame payload: flag 2 + the whole encoded MsgSnap record
// followed by the snapshot's bytes in chunk frames (flags 0 and 1 as above; the last one may
// be empty). The receiver hands the bytes on as they arrive (pausing the socket while its
// consumer lags) and acks once its consumer has stored them.

import type * as net from 'node:net';
import { FRAME_HEADER_SIZE, FrameDecoder } from '../codec/frame.js';
import type { Connector } from './tls.js';
import { parseAddress } from './peer-link.js';

const MORE = 0;
const LAST = 1;
const HEAD = 2;

/**
 * The ack frame a receiver writes: accepted (1) or refused (0).
 * @internal
 */
export function ackFrame(accepted: boolean): Uint8Array {
  return new Uint8Array([0, 0, 0, 1, accepted ? 1 : 0]);
}

/**
 * Everything {@link sendSnapshot} needs.
 * @internal
 */
export interface SnapshotSendContext {
  /** Opens sockets (TCP or TLS). */
  readonly connect: Connector;
  /** The id of the member the snapshot goes to. */
  readonly peer: number;
  /** The handshake frame (channel Snapshot) written first. */
  readonly handshake: Uint8Array;
  /** The largest chunk of record bytes per frame. */
  readonly chunkSize: number;
  /** How long the connection may stay idle (no progress) before the send fails, in ms. */
  readonly timeoutMs: number;
  /** Tracks a socket so that the transport's close() can wait for it. */
  track(socket: net.Socket): void;
}

/**
 * Streams one encoded MsgSnap record to `address` and calls `done` exactly once: `true` when
 * the receiver acknowledged it. Returns a function that aborts the transfer (then `done` is
 * not called). Respects socket backpressure: it writes a chunk only after the previous write
 * was accepted or 'drain' fired.
 * @internal
 */
export function sendSnapshot(
  ctx: SnapshotSendContext,
  address: string,
  record: Uint8Array,
  done: (ok: boolean, reason: string) => void,
  body?: AsyncIterable<Uint8Array>,
): () => void {
  const target = parseAddress(address);
  const conn: { socket?: net.Socket } = {};
  let settled = false;
  const settle = (ok: boolean, reason: string): void => {
    if (settled) return;
    settled = true;
    conn.socket?.destroy();
    done(ok, reason);
  };
  if (target === undefined) {
    queueMicrotask(() => settle(false, `bad address ${address}`));
    return () => (settled = true);
  }
  let off = 0;
  let bodySent = false;
  const frameOf = (flag: number, bytes: Uint8Array): Uint8Array => {
    const frame = new Uint8Array(FRAME_HEADER_SIZE + 1 + bytes.length);
    new DataView(frame.buffer).setUint32(0, bytes.length + 1);
    frame[FRAME_HEADER_SIZE] = flag;
    frame.set(bytes, FRAME_HEADER_SIZE + 1);
    return frame;
  };
  let drained: (() => void) | undefined;
  const pumpBody = async (src: AsyncIterable<Uint8Array>): Promise<void> => {
    const write = async (frame: Uint8Array): Promise<void> => {
      if (!s.write(frame)) await new Promise<void>((resolve) => (drained = resolve));
    };
    const it = src[Symbol.asyncIterator]();
    try {
      await write(frameOf(HEAD, record));
      for (let r = await it.next(); !settled && r.done !== true; r = await it.next()) {
        for (let at = 0; at < r.value.length && !settled; at += ctx.chunkSize) await write(frameOf(MORE, r.value.subarray(at, at + ctx.chunkSize)));
      }
      if (settled) return;
      bodySent = true;
      await write(frameOf(LAST, new Uint8Array(0)));
    } catch (err) {
      settle(false, `reading the snapshot failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (settled) void it.return?.();
    }
  };
  const writeChunks = (): void => {
    if (body !== undefined) {
      const d = drained;
      drained = undefined;
      d?.();
      return;
    }
    while (!settled && off < record.length) {
      const n = Math.min(ctx.chunkSize, record.length - off);
      const frame = new Uint8Array(FRAME_HEADER_SIZE + 1 + n);
      new DataView(frame.buffer).setUint32(0, n + 1);
      frame[FRAME_HEADER_SIZE] = off + n === record.length ? LAST : MORE;
      frame.set(record.subarray(off, off + n), FRAME_HEADER_SIZE + 1);
      off += n;
      if (!s.write(frame)) return; // continue on 'drain'
    }
  };
  const s = ctx.connect(target.host, target.port, () => {
    s.write(ctx.handshake);
    if (body === undefined) writeChunks();
    else void pumpBody(body);
  }, ctx.peer);
  conn.socket = s;
  ctx.track(s);
  s.setNoDelay(true);
  s.setTimeout(ctx.timeoutMs, () => settle(false, 'timed out'));
  s.on('drain', writeChunks);
  const acks = new FrameDecoder({ maxFrameSize: 1 });
  s.on('data', (chunk: Buffer) => {
    let frames: Uint8Array[];
    try {
      frames = acks.push(chunk);
    } catch {
      settle(false, 'malformed ack');
      return;
    }
    const ack = frames[0];
    const complete = body === undefined ? off === record.length : bodySent;
    if (ack !== undefined) settle(ack.length === 1 && ack[0] === 1 && complete, 'refused by the receiver');
  });
  s.on('error', () => undefined); // followed by 'close'
  s.on('close', () => {
    settle(false, 'connection closed before the ack');
    drained?.();
  });
  return () => {
    settled = true;
    s.destroy();
  };
}

/**
 * Reassembles the chunks of one snapshot record on the receiving side.
 *
 * Invariant: `size <= maxSize`.
 * @internal
 */
export class SnapshotAssembler {
  readonly #maxSize: number;
  #chunks: Uint8Array[] = [];
  #size = 0;

  /** @param maxSize - the largest record accepted, in bytes. */
  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /**
   * Adds one chunk frame payload. Returns the whole record after the last chunk, `undefined`
   * while more are expected, or an error description (oversize, malformed).
   */
  push(payload: Uint8Array): Uint8Array | undefined | { error: string; oversize: boolean } {
    const flag = payload[0];
    if (payload.length < 1 || (flag !== MORE && flag !== LAST)) return { error: 'malformed snapshot chunk', oversize: false };
    this.#size += payload.length - 1;
    if (this.#size > this.#maxSize) return { error: `snapshot exceeds maxSnapshotSize ${this.#maxSize}`, oversize: true };
    this.#chunks.push(payload.slice(1)); // copy: a payload may be a view of a socket chunk
    if (flag === MORE) return undefined;
    const whole = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      whole.set(c, at);
      at += c.length;
    }
    this.#chunks = [];
    return whole;
  }
}

/**
 * The record of a head frame (flag 2), or `undefined` for any other chunk frame.
 * @internal
 */
export function headRecord(payload: Uint8Array): Uint8Array | undefined {
  return payload[0] === HEAD ? payload.subarray(1) : undefined;
}

/**
 * The bytes of a streamed snapshot on the receiving side: an async iterable fed by the
 * connection. It asks the connection to pause while more than `highWater` chunks wait, and to
 * resume once its consumer has taken half of them. Consumed once.
 *
 * Invariant: `size <= maxSize`; past it the stream fails.
 * @internal
 */
export class SnapshotBody implements AsyncIterable<Uint8Array> {
  readonly #queue: Uint8Array[] = [];
  readonly #flow: { pause(): void; resume(): void };
  readonly #highWater: number;
  readonly #maxSize: number;
  #size = 0;
  #paused = false;
  #ended = false;
  #error: Error | undefined = undefined;
  #wake: (() => void) | undefined = undefined;

  /**
   * @param flow - pauses and resumes the connection.
   * @param flow.pause - stops reading from the connection.
   * @param flow.resume - reads from the connection again.
   * @param maxSize - the largest snapshot accepted, in bytes.
   * @param highWater - the chunks that may wait before the connection is paused.
   */
  constructor(flow: { pause(): void; resume(): void }, maxSize: number, highWater = 16) {
    this.#flow = flow;
    this.#maxSize = maxSize;
    this.#highWater = highWater;
  }

  /**
   * Adds one chunk frame payload (flag 0 or 1). Returns an error description (oversize,
   * malformed) or `undefined`; after the last chunk the stream ends.
   */
  push(payload: Uint8Array): { error: string; oversize: boolean } | undefined {
    const flag = payload[0];
    if (payload.length < 1 || (flag !== MORE && flag !== LAST) || this.#ended) return { error: 'malformed snapshot chunk', oversize: false };
    this.#size += payload.length - 1;
    if (this.#size > this.#maxSize) return { error: `snapshot exceeds maxSnapshotSize ${this.#maxSize}`, oversize: true };
    if (payload.length > 1) this.#queue.push(payload.slice(1)); // copy: a payload may be a view of a socket chunk
    if (flag === LAST) this.#ended = true;
    if (this.#queue.length > this.#highWater && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
    this.#notify();
    return undefined;
  }

  /** Whether the last chunk arrived. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Fails the stream (the connection was lost or refused); a no-op once it ended. */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#error ??= error;
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /**
   * Yields the chunks as they arrive.
   *
   * @yields {Uint8Array} each chunk, in order.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const c = this.#queue.shift();
      if (c !== undefined) {
        if (this.#paused && this.#queue.length <= this.#highWater / 2) {
          this.#paused = false;
          this.#flow.resume();
        }
        yield c;
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}
