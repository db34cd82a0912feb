import { ByteQueue } from './byte-queue.js';
import { Http2InputError } from './errors.js';
import { CLIENT_PREFACE, FRAME_HEADER_LENGTH, FrameFlag, FrameType, MIN_MAX_FRAME_SIZE, frameHeader, readFrameHeader, type FrameHeader } from './frames.js';
import { HpackDecoder, type HpackDecoderOptions } from './hpack/decoder.js';
import { encodeHeaderBlock } from './hpack/encoder.js';
import type { HeaderField } from './hpack/header-field.js';

/** Settings of an {@link AuthorityRewriter}. */
export interface AuthorityRewriterOptions {
  /**
   * Remove the client's first SETTINGS acknowledgement: it answers a SETTINGS frame the server
   * never sent (the one a connection door sends while it reads the first request). Default `false`.
   */
  dropFirstSettingsAck?: boolean;
  /** The largest header block (HEADERS plus CONTINUATION frames, in octets) buffered. Default 256 KiB. */
  maxHeaderBlockBytes?: number;
  /** Bounds of the HPACK decoder. */
  hpack?: HpackDecoderOptions;
}

/** A header block being gathered: its HEADERS frame and CONTINUATIONs. */
interface PendingBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly priority: Buffer | undefined;
  readonly fragments: Buffer[];
  readonly frames: Buffer[];
  bytes: number;
}

/**
 * The authority a URL-form `:authority` names: `https://host:port/x` → `host:port`; any other value unchanged.
 * @param value - a `:authority` value.
 * @returns the value without scheme and path.
 */
export function stripScheme(value: string): string {
  const at = value.indexOf('://');
  if (at < 0) return value;
  const rest = value.slice(at + 3);
  const slash = rest.indexOf('/');
  return slash < 0 ? rest : rest.slice(0, slash);
}

/**
 * Rewrites the client→server octets of one HTTP/2 connection so that no request carries a
 * `:authority` with a scheme (`https://127.0.0.1:2379`, as etcdctl 3.4's grpc-go sends for
 * `--cluster`), which Node's HTTP/2 server refuses.
 *
 * Frames pass through unchanged, streamed without buffering, except header blocks: every block is
 * gathered (HEADERS with PADDED/PRIORITY, then CONTINUATIONs) and HPACK-decoded, keeping the
 * client's dynamic table. Until a block carries a scheme in `:authority`, blocks pass unchanged; from
 * that block on, every block is re-encoded by {@link encodeHeaderBlock} with the scheme stripped:
 * no dynamic table (the server's decoder never depends on the client's), no Huffman coding, the
 * block's table size updates forwarded (the server's table size follows the client's), no padding,
 * in frames of at most 16384 octets. Malformed input throws {@link Http2InputError}; the
 * connection must then be closed.
 */
export class AuthorityRewriter {
  private readonly queue = new ByteQueue();
  private readonly decoder: HpackDecoder;
  private readonly maxBlock: number;
  private prefaceSeen = 0;
  private passRemaining = 0;
  private block: PendingBlock | undefined;
  private reencoding = false;
  private ackToDrop: boolean;
  private blocksDone = 0;

  /** @param options - settings. */
  constructor(options: AuthorityRewriterOptions = {}) {
    this.ackToDrop = options.dropFirstSettingsAck ?? false;
    this.maxBlock = options.maxHeaderBlockBytes ?? 256 * 1024;
    this.decoder = new HpackDecoder(options.hpack);
  }

  /** Whether the 24-octet client preface has been received. */
  get prefaceReceived(): boolean {
    return this.prefaceSeen === CLIENT_PREFACE.length;
  }

  /** Whether the SETTINGS acknowledgement to drop has not arrived yet. */
  get settingsAckPending(): boolean {
    return this.ackToDrop;
  }

  /** Complete header blocks seen. */
  get headerBlocks(): number {
    return this.blocksDone;
  }

  /** Whether header blocks are being re-encoded (a `:authority` with a scheme was seen). */
  get rewriting(): boolean {
    return this.reencoding;
  }

  /**
   * Feeds received octets.
   * @param chunk - the next octets from the client.
   * @returns the octets to hand to the server, in order.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.queue.push(chunk);
    if (!this.prefaceReceived) this.readPreface(out);
    while (this.prefaceReceived && this.queue.length > 0) {
      if (this.passRemaining > 0) {
        const part = this.queue.takeSome(this.passRemaining);
        this.passRemaining -= part.length;
        out.push(part);
        continue;
      }
      if (this.queue.length < FRAME_HEADER_LENGTH) break;
      const h = readFrameHeader(this.queue.peek(FRAME_HEADER_LENGTH), 0);
      if (h.type === FrameType.HEADERS || h.type === FrameType.CONTINUATION) {
        this.checkHeaderFrame(h);
        if (this.queue.length < FRAME_HEADER_LENGTH + h.length) break;
        this.onHeaderFrame(h, this.queue.take(FRAME_HEADER_LENGTH + h.length), out);
        continue;
      }
      if (this.block !== undefined) throw new Http2InputError('frame', `HTTP/2: frame type ${String(h.type)} inside a header block (CONTINUATION expected)`);
      if (h.type === FrameType.SETTINGS && (h.flags & FrameFlag.ACK) !== 0 && this.ackToDrop) {
        if (h.length !== 0 || h.streamId !== 0) throw new Http2InputError('frame', 'HTTP/2: SETTINGS acknowledgement with a payload or a stream');
        this.queue.take(FRAME_HEADER_LENGTH);
        this.ackToDrop = false;
        continue;
      }
      out.push(this.queue.take(FRAME_HEADER_LENGTH));
      this.passRemaining = h.length;
    }
    return out;
  }

  /**
   * Everything received but not yet returned by {@link AuthorityRewriter.push} (a partial frame, a
   * header block still gathering), as received; the rewriter is unusable afterwards. Before
   * {@link AuthorityRewriter.rewriting}, the octets returned so far followed by these are exactly
   * the client's octets, less the dropped SETTINGS acknowledgement.
   * @returns the held octets.
   */
  release(): Buffer[] {
    const held = [...(this.block?.frames ?? []), ...this.queue.drain()];
    this.block = undefined;
    return held;
  }

  private readPreface(out: Buffer[]): void {
    const n = Math.min(CLIENT_PREFACE.length - this.prefaceSeen, this.queue.length);
    const got = this.queue.take(n);
    if (!got.equals(CLIENT_PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + n))) throw new Http2InputError('preface', 'HTTP/2: the connection does not start with the client preface');
    this.prefaceSeen += n;
    out.push(got);
  }

  private checkHeaderFrame(h: FrameHeader): void {
    if (h.type === FrameType.HEADERS) {
      if (this.block !== undefined) throw new Http2InputError('frame', 'HTTP/2: HEADERS inside a header block (CONTINUATION expected)');
      if (h.streamId === 0) throw new Http2InputError('frame', 'HTTP/2: HEADERS on stream 0');
    } else if (this.block?.streamId !== h.streamId) {
      throw new Http2InputError('frame', 'HTTP/2: CONTINUATION outside a header block of its stream');
    }
    const before = this.block?.bytes ?? 0;
    if (before + FRAME_HEADER_LENGTH + h.length > this.maxBlock) throw new Http2InputError('too_large', `HTTP/2: header block larger than ${String(this.maxBlock)} octets`);
  }

  private onHeaderFrame(h: FrameHeader, frame: Buffer, out: Buffer[]): void {
    const payload = frame.subarray(FRAME_HEADER_LENGTH);
    let block = this.block;
    if (block === undefined) {
      let start = 0;
      let end = payload.length;
      if ((h.flags & FrameFlag.PADDED) !== 0) {
        end -= payload[0] ?? 0;
        start = 1;
      }
      let priority: Buffer | undefined;
      if ((h.flags & FrameFlag.PRIORITY) !== 0) {
        priority = payload.subarray(start, start + 5);
        start += 5;
      }
      if (start > end) throw new Http2InputError('frame', 'HTTP/2: HEADERS padding or priority longer than the frame');
      block = { streamId: h.streamId, endStream: (h.flags & FrameFlag.END_STREAM) !== 0, priority, fragments: [payload.subarray(start, end)], frames: [frame], bytes: frame.length };
      this.block = block;
    } else {
      block.fragments.push(payload);
      block.frames.push(frame);
      block.bytes += frame.length;
    }
    if ((h.flags & FrameFlag.END_HEADERS) !== 0) this.finishBlock(block, out);
  }

  private finishBlock(block: PendingBlock, out: Buffer[]): void {
    this.block = undefined;
    this.blocksDone++;
    const fields = this.decoder.decode(block.fragments.length === 1 ? (block.fragments[0] ?? Buffer.alloc(0)) : Buffer.concat(block.fragments));
    if (!this.reencoding && fields.some((f) => f.name === ':authority' && f.value.includes('://'))) this.reencoding = true;
    if (!this.reencoding) {
      out.push(...block.frames);
      return;
    }
    const rewritten = fields.map((f): HeaderField => (f.name === ':authority' ? { ...f, value: stripScheme(f.value) } : f));
    // Plain (not Huffman-coded) strings: cheaper to write here and to read for the server.
    emitHeaderBlock(out, block.streamId, block.endStream, block.priority, encodeHeaderBlock(rewritten, false, this.decoder.lastTableSizeUpdates));
  }
}

/**
 * Appends a header block as a HEADERS frame and as many CONTINUATION frames as needed, each
 * payload at most {@link MIN_MAX_FRAME_SIZE} octets.
 */
function emitHeaderBlock(out: Buffer[], streamId: number, endStream: boolean, priority: Buffer | undefined, block: Buffer): void {
  const room = MIN_MAX_FRAME_SIZE - (priority?.length ?? 0);
  const first = block.subarray(0, room);
  let flags = (endStream ? FrameFlag.END_STREAM : 0) | (priority === undefined ? 0 : FrameFlag.PRIORITY) | (block.length <= room ? FrameFlag.END_HEADERS : 0);
  out.push(frameHeader(first.length + (priority?.length ?? 0), FrameType.HEADERS, flags, streamId));
  if (priority !== undefined) out.push(priority);
  out.push(first);
  for (let off = room; off < block.length; off += MIN_MAX_FRAME_SIZE) {
    const part = block.subarray(off, off + MIN_MAX_FRAME_SIZE);
    flags = off + MIN_MAX_FRAME_SIZE >= block.length ? FrameFlag.END_HEADERS : 0;
    out.push(frameHeader(part.length, FrameType.CONTINUATION, flags, streamId));
    out.push(part);
  }
}
