// Snapshots travel on their own short-lived connection so that a multi-megabyte MsgSnap
// never delays the heartbeats queued on the message connection. After the handshake
// (channel Snapshot), the encoded MsgSnap record is cut into chunk frames:
//   chunk frame payload: flag (1 byte: 0 = more follows, 1 = last chunk) + up to chunkSize bytes
// and the receiver answers with one ack frame whose payload is one byte: 1 = accepted,
// 0 = refused. The sender reports `finish` on an accepting ack and `failure` on anything else.

import type * as net from 'node:net';
import { FRAME_HEADER_SIZE, FrameDecoder } from '../codec/frame.js';
import type { Connector } from './tls.js';
import { parseAddress } from './peer-link.js';

const MORE = 0;
const LAST = 1;

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
export function sendSnapshot(ctx: SnapshotSendContext, address: string, record: Uint8Array, done: (ok: boolean, reason: string) => void): () => void {
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
  const writeChunks = (): void => {
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
    writeChunks();
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
    if (ack !== undefined) settle(ack.length === 1 && ack[0] === 1 && off === record.length, 'refused by the receiver');
  });
  s.on('error', () => undefined); // followed by 'close'
  s.on('close', () => settle(false, 'connection closed before the ack'));
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
