import { Http2InputError } from '../errors.js';

/**
 * The code length in bits of each of the 257 symbols (octets 0-255, then EOS) of HPACK's Huffman
 * code (RFC 7541 Appendix B), one base-36 digit per symbol. The code is canonical: codes of equal
 * length are consecutive in symbol order and shorter codes come first, so the lengths alone
 * determine every code.
 */
const LENGTHS =
  'dnsssssssoussussssssssusssssssss6aacd68baa8b8666555666666678f6cad67777777777777777777777878djde6f56565666577666567655677777fbedskmkkmmmnmnnnnnonoomnonnnnlmnmnnomlkmmnnlnmmolmnnllmlnmnnkmmmnmmnqqkjmnmpqqqrrqopjlqrrqrollqqsrrrkoklmllnmmppooqnqrqqrrrrrsrrrrrqu';

const EOS = 256;
const MAX_LEN = 30;

/** Per symbol: its code length and code (right-aligned). */
const codeLen = new Uint8Array(257);
const code = new Uint32Array(257);
/** Per length: the first code of that length, how many codes have it, and where its symbols start in `bySymbolOrder`. */
const firstCode = new Float64Array(MAX_LEN + 1);
const countOf = new Uint16Array(MAX_LEN + 1);
const startOf = new Uint16Array(MAX_LEN + 1);
/** The symbols sorted by (length, symbol): canonical code order. */
const bySymbolOrder = new Uint16Array(257);

(function build(): void {
  for (let s = 0; s < 257; s++) codeLen[s] = parseInt(LENGTHS.charAt(s), 36);
  const order = Array.from({ length: 257 }, (_, s) => s).sort((a, b) => (codeLen[a] ?? 0) - (codeLen[b] ?? 0) || a - b);
  let next = 0;
  let prevLen = codeLen[order[0] ?? 0] ?? 0;
  order.forEach((s, i) => {
    const len = codeLen[s] ?? 0;
    if (i > 0) next = (next + 1) * 2 ** (len - prevLen);
    prevLen = len;
    code[s] = next;
    bySymbolOrder[i] = s;
    if (countOf[len] === 0) {
      firstCode[len] = next;
      startOf[len] = i;
    }
    countOf[len] = (countOf[len] ?? 0) + 1;
  });
})();

/**
 * Decodes a Huffman-coded HPACK string (RFC 7541 §5.2). Refuses, with an
 * {@link Http2InputError} (`reason: 'huffman'`), an EOS symbol in the data, padding longer than
 * 7 bits, and padding that is not the most significant bits of EOS (all ones).
 * @param data - the coded octets.
 * @returns the decoded octets.
 */
export function huffmanDecode(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil((data.length * 8) / 5));
  let n = 0;
  let acc = 0;
  let len = 0;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      acc = acc * 2 + ((byte >> bit) & 1);
      len++;
      const offset = acc - (firstCode[len] ?? 0);
      if (offset >= 0 && offset < (countOf[len] ?? 0)) {
        const sym = bySymbolOrder[(startOf[len] ?? 0) + offset] ?? EOS;
        if (sym === EOS) throw new Http2InputError('huffman', 'HPACK: EOS symbol inside a Huffman string');
        out[n++] = sym;
        acc = 0;
        len = 0;
      } else if (len >= MAX_LEN) {
        throw new Http2InputError('huffman', 'HPACK: invalid Huffman code');
      }
    }
  }
  if (len > 7) throw new Http2InputError('huffman', `HPACK: Huffman padding of ${String(len)} bits (at most 7)`);
  if (acc !== 2 ** len - 1) throw new Http2InputError('huffman', 'HPACK: Huffman padding is not a prefix of EOS');
  return out.subarray(0, n);
}

/**
 * The length in octets of `data` once Huffman-coded (RFC 7541 §5.2).
 * @param data - the octets to code.
 * @returns the coded length, padding included.
 */
export function huffmanEncodedLength(data: Uint8Array): number {
  let bits = 0;
  for (const byte of data) bits += codeLen[byte] ?? 0;
  return Math.ceil(bits / 8);
}

/**
 * Huffman-codes `data` (RFC 7541 §5.2), padding the last octet with the most significant bits of EOS.
 * @param data - the octets to code.
 * @returns the coded octets.
 */
export function huffmanEncode(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(huffmanEncodedLength(data));
  let n = 0;
  let acc = 0; // at most 7 + 30 bits: exact in a double
  let bits = 0;
  for (const byte of data) {
    const len = codeLen[byte] ?? 0;
    acc = acc * 2 ** len + (code[byte] ?? 0);
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      const top = Math.floor(acc / 2 ** bits);
      out[n++] = top;
      acc -= top * 2 ** bits;
    }
  }
  if (bits > 0) out[n] = acc * 2 ** (8 - bits) + (2 ** (8 - bits) - 1);
  return out;
}
