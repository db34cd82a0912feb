import { Http2InputError } from '../errors.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.js';

/** The largest integer accepted in an HPACK block: far above any table size, index or string length used. */
const MAX_INTEGER = 2 ** 31 - 1;

/** A value read from an HPACK block and the offset just after it. */
export interface Read<T> {
  /** The value. */
  value: T;
  /** The offset of the next octet. */
  next: number;
}

/**
 * Reads an HPACK integer with an N-bit prefix (RFC 7541 §5.1) starting at `buf[pos]`.
 * @param buf - the block.
 * @param pos - the offset of the octet holding the prefix.
 * @param prefixBits - N, 1 to 8.
 * @returns the integer and the next offset.
 */
export function readInteger(buf: Uint8Array, pos: number, prefixBits: number): Read<number> {
  const mask = 2 ** prefixBits - 1;
  const first = buf[pos];
  if (first === undefined) throw new Http2InputError('hpack', 'HPACK: block ends inside an integer');
  let value = first & mask;
  let next = pos + 1;
  if (value < mask) return { value, next };
  let m = 1;
  for (;;) {
    const b = buf[next++];
    if (b === undefined) throw new Http2InputError('hpack', 'HPACK: block ends inside an integer');
    value += (b & 0x7f) * 2 ** (7 * (m - 1));
    if (value > MAX_INTEGER) throw new Http2InputError('hpack', 'HPACK: integer too large');
    if ((b & 0x80) === 0) return { value, next };
    m++;
    if (m > 5) throw new Http2InputError('hpack', 'HPACK: integer too long');
  }
}

/**
 * Appends an HPACK integer with an N-bit prefix (RFC 7541 §5.1); `flags` fills the bits above the prefix.
 * @param out - the octets being written.
 * @param value - a non-negative integer.
 * @param prefixBits - N, 1 to 8.
 * @param flags - the high bits of the first octet.
 */
export function writeInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const mask = 2 ** prefixBits - 1;
  if (value < mask) {
    out.push(flags | value);
    return;
  }
  out.push(flags | mask);
  let rest = value - mask;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/**
 * Reads an HPACK string literal (RFC 7541 §5.2), Huffman-coded or not, as latin1.
 * @param buf - the block.
 * @param pos - the offset of the length octet (whose top bit is H).
 * @returns the string and the next offset.
 */
export function readString(buf: Uint8Array, pos: number): Read<string> {
  const huffman = ((buf[pos] ?? 0) & 0x80) !== 0;
  const len = readInteger(buf, pos, 7);
  const end = len.next + len.value;
  if (end > buf.length) throw new Http2InputError('hpack', 'HPACK: string runs past the end of the block');
  const raw = buf.subarray(len.next, end);
  const bytes = huffman ? huffmanDecode(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  return { value: bytes.toString('latin1'), next: end };
}

/**
 * Appends an HPACK string literal (RFC 7541 §5.2), Huffman-coded when that is shorter and `huffman` allows.
 * @param out - the octets being written.
 * @param value - the latin1 string.
 * @param huffman - whether Huffman coding may be used.
 */
export function writeString(out: number[], value: string, huffman: boolean): void {
  const raw = Buffer.from(value, 'latin1');
  if (huffman && huffmanEncodedLength(raw) < raw.length) {
    const coded = huffmanEncode(raw);
    writeInteger(out, coded.length, 7, 0x80);
    for (const b of coded) out.push(b);
    return;
  }
  writeInteger(out, raw.length, 7, 0);
  for (const b of raw) out.push(b);
}
