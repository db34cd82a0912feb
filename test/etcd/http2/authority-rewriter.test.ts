import { expect, test } from 'vitest';
import { AuthorityRewriter } from '../../../src/etcd/http2/authority-rewriter.js';
import { CLIENT_PREFACE, EMPTY_SETTINGS, FrameFlag, FrameType, frameHeader, readFrameHeader } from '../../../src/etcd/http2/frames.js';
import { HpackDecoder } from '../../../src/etcd/http2/hpack/decoder.js';
import { encodeHeaderBlock } from '../../../src/etcd/http2/hpack/encoder.js';

// The rewriter alone, on octets (the door tests run it over sockets): what the server receives.
const request = (authority: string, sizeUpdates: number[] = []): Buffer => {
  const block = encodeHeaderBlock([{ name: ':method', value: 'POST' }, { name: ':path', value: '/p' }, { name: ':authority', value: authority }], true, sizeUpdates);
  return Buffer.concat([frameHeader(block.length, FrameType.HEADERS, FrameFlag.END_HEADERS, 1), block]);
};

/** The header blocks in `bytes` (after the preface), decoded in order by one decoder, as the server would. */
function serverView(bytes: Buffer): { decoder: HpackDecoder; blocks: Map<string, string>[]; frames: number[] } {
  const decoder = new HpackDecoder();
  const blocks: Map<string, string>[] = [];
  const frames: number[] = [];
  let off = CLIENT_PREFACE.length;
  let pending: Buffer[] = [];
  while (off < bytes.length) {
    const h = readFrameHeader(bytes, off);
    frames.push(h.type);
    const payload = bytes.subarray(off + 9, off + 9 + h.length);
    off += 9 + h.length;
    if (h.type === FrameType.HEADERS || h.type === FrameType.CONTINUATION) {
      pending.push(payload);
      if ((h.flags & FrameFlag.END_HEADERS) !== 0) {
        blocks.push(new Map(decoder.decode(Buffer.concat(pending)).map((f) => [f.name, f.value])));
        pending = [];
      }
    }
  }
  return { decoder, blocks, frames };
}

test('blocks pass unchanged until an :authority has a scheme; from then on every block is re-encoded', () => {
  const rw = new AuthorityRewriter();
  const input = Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, request('a:1'), request('http://b:2'), request('c:3')]);
  const out = Buffer.concat(rw.push(input));
  const { blocks } = serverView(out);
  expect(blocks.map((b) => b.get(':authority'))).toEqual(['a:1', 'b:2', 'c:3']);
  expect(out.subarray(0, CLIENT_PREFACE.length + 9 + request('a:1').length)).toEqual(input.subarray(0, CLIENT_PREFACE.length + 9 + request('a:1').length));
  expect(rw.rewriting).toBe(true);
  expect(rw.headerBlocks).toBe(3);
});

test('a table size update in a re-encoded block is forwarded, so the server\'s table follows the client\'s', () => {
  const rw = new AuthorityRewriter();
  const out = Buffer.concat(rw.push(Buffer.concat([CLIENT_PREFACE, request('https://x:1', [0, 100])])));
  const { decoder, blocks } = serverView(out);
  expect(blocks[0]?.get(':authority')).toBe('x:1');
  expect(decoder.table.maxSize).toBe(100);
});

test('the first SETTINGS acknowledgement is dropped when asked, later ones pass', () => {
  const ack = frameHeader(0, FrameType.SETTINGS, FrameFlag.ACK, 0);
  const rw = new AuthorityRewriter({ dropFirstSettingsAck: true });
  expect(rw.settingsAckPending).toBe(true);
  const out = Buffer.concat(rw.push(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, ack, ack])));
  expect(out).toEqual(Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, ack]));
  expect(rw.settingsAckPending).toBe(false);
});

test('release() returns a partial frame as received', () => {
  const rw = new AuthorityRewriter();
  const req = request('a:1');
  const out = rw.push(Buffer.concat([CLIENT_PREFACE, req.subarray(0, 12)]));
  expect(Buffer.concat([...out, ...rw.release()])).toEqual(Buffer.concat([CLIENT_PREFACE, req.subarray(0, 12)]));
});
