/** The 24 octets every HTTP/2 client connection starts with (RFC 9113 §3.4). */
export const CLIENT_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** The length of an HTTP/2 frame header (RFC 9113 §4.1). */
export const FRAME_HEADER_LENGTH = 9;

/**
 * The largest frame payload every HTTP/2 endpoint accepts: SETTINGS_MAX_FRAME_SIZE's initial
 * value, below which no endpoint may set it (RFC 9113 §6.5.2).
 */
export const MIN_MAX_FRAME_SIZE = 16384;

/** The HTTP/2 frame types a client→server byte stream is parsed for (RFC 9113 §6). */
export const FrameType = { DATA: 0x0, HEADERS: 0x1, SETTINGS: 0x4, PUSH_PROMISE: 0x5, CONTINUATION: 0x9 } as const;

/** The HTTP/2 frame flags used here (RFC 9113 §6). */
export const FrameFlag = { ACK: 0x1, END_STREAM: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** A parsed HTTP/2 frame header. */
export interface FrameHeader {
  /** The payload length in octets. */
  readonly length: number;
  /** The frame type. */
  readonly type: number;
  /** The flags octet. */
  readonly flags: number;
  /** The stream identifier (the reserved bit dropped). */
  readonly streamId: number;
}

/**
 * Parses the 9-octet frame header at `buf[off]`.
 * @param buf - at least `off + 9` octets.
 * @param off - where the header starts.
 * @returns the header.
 */
export function readFrameHeader(buf: Buffer, off: number): FrameHeader {
  return { length: buf.readUIntBE(off, 3), type: buf.readUInt8(off + 3), flags: buf.readUInt8(off + 4), streamId: buf.readUInt32BE(off + 5) & 0x7fffffff };
}

/**
 * Writes a frame header.
 * @param length - the payload length.
 * @param type - the frame type.
 * @param flags - the flags octet.
 * @param streamId - the stream identifier.
 * @returns the 9 octets.
 */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  h.writeUIntBE(length, 0, 3);
  h.writeUInt8(type, 3);
  h.writeUInt8(flags, 4);
  h.writeUInt32BE(streamId, 5);
  return h;
}

/** A SETTINGS frame with no parameters: a server connection preface that keeps every default (RFC 9113 §3.4). */
export const EMPTY_SETTINGS: Buffer = frameHeader(0, FrameType.SETTINGS, 0, 0);
