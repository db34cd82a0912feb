import { ConfigInvalidError } from '../raft/errors.js';
import { EMPTY_BYTES } from '../raft/entry.js';
import { CodecError } from './errors.js';

/** The size of a frame header: the payload length as a 32-bit big-endian unsigned integer. */
export const FRAME_HEADER_SIZE = 4;

/** The default largest frame payload accepted or produced: 16 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

const MAX_ENCODABLE_FRAME_SIZE = 0xffffffff;

/** The first allocation for a partial frame; it grows (doubling) as bytes arrive. */
const INITIAL_FRAME_BUFFER = 64 * 1024;

/** Options of the framing functions. */
export interface FrameOptions {
  /**
   * The largest payload, in bytes, a frame may carry (the header is not counted). An integer
   * in `[1, 2^32 - 1]`; default {@link DEFAULT_MAX_FRAME_SIZE}. Both ends should agree on it.
   */
  maxFrameSize?: number;
}

/**
 * Validates a `maxFrameSize` option and returns it.
 *
 * @throws {@link ConfigInvalidError} when it is not an integer in `[1, 2^32 - 1]`.
 * @internal
 */
export function checkMaxFrameSize(max: number): number {
  if (!Number.isInteger(max) || max < 1 || max > MAX_ENCODABLE_FRAME_SIZE) {
    throw new ConfigInvalidError(`maxFrameSize must be an integer in [1, 2^32 - 1], got ${max}`);
  }
  return max;
}

/**
 * Wraps `payload` in a frame: its length as a 4-byte big-endian unsigned integer, then the
 * payload bytes (copied). A zero-length payload makes a valid, empty frame.
 *
 * @param payload - the bytes to frame, usually an encoded record.
 * @param options - `maxFrameSize`: the largest payload allowed (default 16 MiB).
 * @throws {@link CodecError} when the payload is larger than `maxFrameSize`, since the peer
 *   would refuse it anyway.
 */
export function encodeFrame(payload: Uint8Array, options?: FrameOptions): Uint8Array {
  const max = checkMaxFrameSize(options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  if (payload.length > max) {
    throw new CodecError(`frame: a payload of ${payload.length} bytes exceeds maxFrameSize ${max}`);
  }
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/**
 * Splits a byte stream (for example the chunks of a TCP socket) back into the payloads of the
 * frames written by {@link encodeFrame}.
 *
 * - A frame may be split across any number of chunks, and a chunk may hold many frames.
 * - The announced length is checked against `maxFrameSize` as soon as the 4 header bytes are
 *   in, before anything is allocated for the payload; at most one partial frame (at most
 *   `maxFrameSize` bytes) plus one partial header is ever buffered.
 * - Memory for a partial frame is reserved as its bytes arrive, not when its header announces
 *   them: the buffer starts at 64 KiB (or what the chunk holds) and doubles as needed, so it
 *   is never more than twice the bytes received (or 64 KiB). A peer announcing 16 MiB and
 *   sending 10 bytes costs 64 KiB, not 16 MiB.
 * - Zero-length frames are allowed and come out as empty payloads (which no record decoder
 *   accepts, so a peer sending them gets a `CodecError` from the decoder, not from here).
 * - A payload that arrived whole inside one chunk is returned as a view of that chunk, without
 *   copying; a payload assembled from several chunks is a fresh array. Payloads are never
 *   overwritten by the decoder. The record decoders copy what they keep, so payloads are
 *   normally short-lived.
 *
 * After it throws, the stream cannot be resynchronised: the decoder stays failed and the
 * connection should be closed.
 *
 * Invariant: `bufferedBytes <= FRAME_HEADER_SIZE + maxFrameSize`, and the partial frame's
 * buffer holds at most `max(64 KiB, 2 × bytes received)`.
 */
export class FrameDecoder {
  /** The largest payload accepted, in bytes. */
  readonly maxFrameSize: number;
  readonly #header = new Uint8Array(FRAME_HEADER_SIZE);
  #headerFill = 0;
  /** The partial frame's buffer (its capacity grows towards `#frameSize` as bytes arrive). */
  #frame: Uint8Array | undefined = undefined;
  #frameSize = 0;
  #frameFill = 0;
  #failure: CodecError | undefined = undefined;

  /**
   * @param options - `maxFrameSize`: the largest payload accepted (default 16 MiB).
   * @throws {@link ConfigInvalidError} when `maxFrameSize` is not an integer in `[1, 2^32 - 1]`.
   */
  constructor(options?: FrameOptions) {
    this.maxFrameSize = checkMaxFrameSize(options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  }

  /** The bytes reserved for the partial frame (at most `max(64 KiB, 2 × its bytes received)`). */
  get reservedBytes(): number {
    return this.#frame?.length ?? 0;
  }

  /** The bytes received but not yet returned as part of a complete frame (header bytes included). */
  get bufferedBytes(): number {
    return this.#frame === undefined ? this.#headerFill : FRAME_HEADER_SIZE + this.#frameFill;
  }

  /**
   * Feeds the next chunk of the stream and returns the payloads of the frames it completes, in
   * order (possibly none).
   *
   * @throws {@link CodecError} when a frame announces more than `maxFrameSize` bytes (frames
   *   completed earlier in the same chunk are then dropped with it), or when the decoder
   *   already failed.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== undefined) throw this.#failure;
    const n = chunk.length;
    if (this.#frame === undefined && this.#headerFill === 0 && n >= FRAME_HEADER_SIZE) {
      // The common case, a chunk that is exactly one frame: a one-element array (a growable
      // one would reserve room for 17 frames, garbage on every chunk received).
      const size = this.#checkSize(readUint32(chunk, 0));
      if (size === n - FRAME_HEADER_SIZE) return [size === 0 ? EMPTY_BYTES : chunk.subarray(FRAME_HEADER_SIZE)];
    }
    const frames: Uint8Array[] = [];
    let off = 0;
    while (off < n) {
      const frame = this.#frame;
      if (frame !== undefined) {
        off = this.#fill(frame, chunk, off, frames);
      } else if (this.#headerFill === 0 && n - off >= FRAME_HEADER_SIZE) {
        // Fast path: the whole header is in this chunk.
        const size = this.#checkSize(readUint32(chunk, off));
        off += FRAME_HEADER_SIZE;
        if (n - off >= size) {
          frames.push(size === 0 ? EMPTY_BYTES : chunk.subarray(off, off + size));
          off += size;
        } else {
          this.#begin(size);
        }
      } else {
        off = this.#fillHeader(chunk, off, frames);
      }
    }
    return frames;
  }

  /**
   * Declares the end of the stream.
   *
   * @throws {@link CodecError} when the stream ended inside a frame (a truncated frame).
   */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const buffered = this.bufferedBytes;
    if (buffered !== 0) throw new CodecError(`frame: the stream ended inside a frame (${buffered} bytes buffered)`);
  }

  #fillHeader(chunk: Uint8Array, off: number, frames: Uint8Array[]): number {
    const take = Math.min(FRAME_HEADER_SIZE - this.#headerFill, chunk.length - off);
    this.#header.set(chunk.subarray(off, off + take), this.#headerFill);
    this.#headerFill += take;
    if (this.#headerFill === FRAME_HEADER_SIZE) {
      this.#headerFill = 0;
      const size = this.#checkSize(readUint32(this.#header, 0));
      if (size === 0) frames.push(EMPTY_BYTES);
      else this.#begin(size);
    }
    return off + take;
  }

  #begin(size: number): void {
    this.#frame = new Uint8Array(Math.min(size, INITIAL_FRAME_BUFFER));
    this.#frameSize = size;
    this.#frameFill = 0;
  }

  #fill(frame: Uint8Array, chunk: Uint8Array, off: number, frames: Uint8Array[]): number {
    const take = Math.min(this.#frameSize - this.#frameFill, chunk.length - off);
    const need = this.#frameFill + take;
    if (need > frame.length) {
      const grown = new Uint8Array(Math.min(this.#frameSize, Math.max(need, frame.length * 2)));
      grown.set(frame.subarray(0, this.#frameFill));
      this.#frame = frame = grown;
    }
    frame.set(chunk.subarray(off, off + take), this.#frameFill);
    this.#frameFill = need;
    if (need === this.#frameSize) {
      frames.push(frame);
      this.#frame = undefined;
      this.#frameFill = 0;
    }
    return off + take;
  }

  #checkSize(size: number): number {
    if (size > this.maxFrameSize) {
      this.#failure = new CodecError(`frame: a frame announces ${size} bytes, more than maxFrameSize ${this.maxFrameSize}`);
      this.#headerFill = 0;
      throw this.#failure;
    }
    return size;
  }
}

function readUint32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
