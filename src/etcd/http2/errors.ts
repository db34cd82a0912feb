import { RaftkitError } from '../../errors.js';

/** What was wrong with a client's HTTP/2 bytes, as counted in `raftkit_client_http2_refused_total{reason}`. */
export type Http2InputReason = 'preface' | 'frame' | 'hpack' | 'huffman' | 'too_large';

/**
 * A client connection's HTTP/2 bytes are malformed (bad connection preface, a frame breaking
 * RFC 9113's framing rules, an HPACK block RFC 7541 cannot decode, a bad Huffman string) or larger
 * than the bound the server buffers. Code `ERR_HTTP2_INPUT`; the connection is closed and counted.
 */
export class Http2InputError extends RaftkitError {
  /** Which rule the input broke. */
  readonly reason: Http2InputReason;

  /**
   * @param reason - which rule the input broke.
   * @param message - what exactly was wrong.
   */
  constructor(reason: Http2InputReason, message: string) {
    super('ERR_HTTP2_INPUT', message);
    this.reason = reason;
  }
}
