import { describe, expect, test } from 'vitest';
import { Http2InputError } from '../../../src/etcd/http2/errors.js';
import { HpackDecoder } from '../../../src/etcd/http2/hpack/decoder.js';
import { encodeHeaderBlock } from '../../../src/etcd/http2/hpack/encoder.js';
import type { HeaderField } from '../../../src/etcd/http2/hpack/header-field.js';
import { huffmanDecode, huffmanEncode } from '../../../src/etcd/http2/hpack/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const pairs = (fields: readonly HeaderField[]): [string, string][] => fields.map((f) => [f.name, f.value]);
/** The dynamic table, newest first, as [name, value] pairs. */
function tableOf(d: HpackDecoder): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 1; i <= d.table.length; i++) {
    const f = d.table.get(i);
    if (f !== undefined) out.push([f.name, f.value]);
  }
  return out;
}
function refusal(fn: () => unknown): Http2InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof Http2InputError) return err;
    throw err;
  }
  throw new Error('expected an Http2InputError');
}

const REQUEST_1 = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const REQUEST_2 = [...REQUEST_1, ['cache-control', 'no-cache']];
const REQUEST_3 = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESPONSE_1 = [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']];
const RESPONSE_2 = [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']];
const RESPONSE_3 = [[':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'], ['content-encoding', 'gzip'], ['set-cookie', COOKIE]];

describe('RFC 7541 Appendix C', () => {
  test('C.2: one representation each, on a fresh decoder', () => {
    const d1 = new HpackDecoder();
    expect(pairs(d1.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')))).toEqual([['custom-key', 'custom-header']]);
    expect(tableOf(d1)).toEqual([['custom-key', 'custom-header']]);
    expect(d1.table.size).toBe(55);
    const d2 = new HpackDecoder();
    expect(pairs(d2.decode(hex('040c 2f73 616d 706c 652f 7061 7468')))).toEqual([[':path', '/sample/path']]);
    expect(d2.table.length).toBe(0);
    const d3 = new HpackDecoder();
    expect(d3.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([{ name: 'password', value: 'secret', neverIndex: true }]);
    expect(d3.table.length).toBe(0);
    expect(pairs(new HpackDecoder().decode(hex('82')))).toEqual([[':method', 'GET']]);
  });

  test.each([
    ['C.3 (no Huffman)', ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', '8286 84be 5808 6e6f 2d63 6163 6865', '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65']],
    ['C.4 (Huffman)', ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf']],
  ])('%s: three requests on one decoder', (_name, blocks) => {
    const d = new HpackDecoder();
    expect(pairs(d.decode(hex(blocks[0] ?? '')))).toEqual(REQUEST_1);
    expect(d.table.size).toBe(57);
    expect(pairs(d.decode(hex(blocks[1] ?? '')))).toEqual(REQUEST_2);
    expect(d.table.size).toBe(110);
    expect(pairs(d.decode(hex(blocks[2] ?? '')))).toEqual(REQUEST_3);
    expect(tableOf(d)).toEqual([['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']]);
    expect(d.table.size).toBe(164);
  });

  test.each([
    ['C.5 (no Huffman)', [
      `4803 3330 3258 0770 7269 7661 7465 611d ${ascii('Mon, 21 Oct 2013 20:13:21 GMT')} 6e17 ${ascii('https://www.example.com')}`,
      '4803 3330 37c1 c0bf',
      `88c1 611d ${ascii('Mon, 21 Oct 2013 20:13:22 GMT')} c05a 04${ascii('gzip')} 7738 ${ascii(COOKIE)}`,
    ]],
    ['C.6 (Huffman)', [
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      '4883 640e ffc1 c0bf',
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    ]],
  ])('%s: three responses with a 256-octet table evict the oldest entries', (_name, blocks) => {
    const d = new HpackDecoder();
    d.table.setMaxSize(256);
    expect(pairs(d.decode(hex(blocks[0] ?? '')))).toEqual(RESPONSE_1);
    expect(tableOf(d).map(([n]) => n)).toEqual(['location', 'date', 'cache-control', ':status']);
    expect(d.table.size).toBe(222);
    expect(pairs(d.decode(hex(blocks[1] ?? '')))).toEqual(RESPONSE_2);
    expect(tableOf(d)[0]).toEqual([':status', '307']);
    expect(tableOf(d).map(([n]) => n)).toEqual([':status', 'location', 'date', 'cache-control']);
    expect(d.table.size).toBe(222);
    expect(pairs(d.decode(hex(blocks[2] ?? '')))).toEqual(RESPONSE_3);
    expect(tableOf(d)).toEqual([['set-cookie', COOKIE], ['content-encoding', 'gzip'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT']]);
    expect(d.table.size).toBe(215);
  });

  test.each([
    ['f1e3 c2e5 f23a 6ba0 ab90 f4ff', 'www.example.com'],
    ['a8eb 1064 9cbf', 'no-cache'],
    ['25a8 49e9 5ba9 7d7f', 'custom-key'],
    ['25a8 49e9 5bb8 e8b4 bf', 'custom-value'],
    ['6402', '302'],
    ['aec3 771a 4b', 'private'],
    ['d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3', 'https://www.example.com'],
    ['9bd9 ab', 'gzip'],
  ])('Huffman %s <-> %j', (coded, text) => {
    expect(huffmanDecode(hex(coded)).toString('latin1')).toBe(text);
    expect(huffmanEncode(Buffer.from(text, 'latin1')).toString('hex')).toBe(hex(coded).toString('hex'));
  });
});

describe('HPACK decoder: refusals', () => {
  test.each([
    ['Huffman padding not all ones', '008c f1e3 c2e5 f23a 6ba0 ab90 f4fe 00', 'huffman'],
    ['EOS inside a Huffman string', '0084 ffff ffff 00', 'huffman'],
    ['Huffman padding of 8 bits or more', '008d f1e3 c2e5 f23a 6ba0 ab90 f4ff ff 00', 'huffman'],
    ['index 0', '80', 'hpack'],
    ['index past the tables', 'be', 'hpack'],
    ['literal naming an index past the tables', '7f00 0161', 'hpack'],
    ['integer ending early', 'ff', 'hpack'],
    ['integer too large', 'ff ff ff ff ff 7f', 'hpack'],
    ['string past the end of the block', '0005 61', 'hpack'],
    ['table size update above the bound', '3fe1 ff07', 'hpack'],
    ['table size update after a field', '82 20', 'hpack'],
  ])('%s', (_name, block, reason) => {
    const err = refusal(() => new HpackDecoder().decode(hex(block)));
    expect(err.code).toBe('ERR_HTTP2_INPUT');
    expect(err.reason).toBe(reason);
  });

  test('a header list above the bound (small block, large entries referenced again and again)', () => {
    const d = new HpackDecoder({ maxHeaderListSize: 4096 });
    const big = 'x'.repeat(1000);
    const add = encodeHeaderBlock([{ name: 'k', value: big }], false);
    // Turn the literal-without-indexing into one with incremental indexing (0x40 prefix, 6-bit name index 0).
    expect(add[0]).toBe(0x00);
    add[0] = 0x40;
    expect(pairs(d.decode(add))).toEqual([['k', big]]);
    expect(refusal(() => d.decode(hex('be'.repeat(5)))).reason).toBe('too_large');
  });

  test('a table size update evicts, and 0 empties the table', () => {
    const d = new HpackDecoder();
    d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'));
    expect(d.table.length).toBe(1);
    expect(pairs(d.decode(hex('20 82')))).toEqual([[':method', 'GET']]);
    expect(d.table.length).toBe(0);
    expect(d.table.maxSize).toBe(0);
    expect(pairs(d.decode(hex('3fe1 1f 82')))).toEqual([[':method', 'GET']]);
    expect(d.table.maxSize).toBe(4096);
  });
});

describe('HPACK encoder (no dynamic table)', () => {
  test('RFC 7541 C.2.2, C.2.3 and C.2.4 byte for byte', () => {
    expect(encodeHeaderBlock([{ name: ':path', value: '/sample/path' }], false)).toEqual(hex('040c 2f73 616d 706c 652f 7061 7468'));
    expect(encodeHeaderBlock([{ name: 'password', value: 'secret', neverIndex: true }], false)).toEqual(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
    expect(encodeHeaderBlock([{ name: ':method', value: 'GET' }])).toEqual(hex('82'));
  });

  test.each([true, false])('round trip through a decoder, Huffman %s; the decoder table stays empty', (huffman) => {
    const fields: HeaderField[] = [
      { name: ':method', value: 'POST' }, { name: ':scheme', value: 'https' }, { name: ':path', value: '/etcdserverpb.Maintenance/Status' },
      { name: ':authority', value: '127.0.0.1:2379' }, { name: 'content-type', value: 'application/grpc' }, { name: 'te', value: 'trailers' },
      { name: 'x-bytes', value: '\u0000\u00ff\u007f é' }, { name: 'secret', value: 'token', neverIndex: true }, { name: 'long', value: 'v'.repeat(300) },
    ];
    const d = new HpackDecoder();
    expect(d.decode(encodeHeaderBlock(fields, huffman))).toEqual(fields);
    expect(d.table.length).toBe(0);
  });

  test('Huffman round trip of every octet', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(huffmanDecode(huffmanEncode(all))).toEqual(all);
    expect(huffmanEncode(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
  });
});
