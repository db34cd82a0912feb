import { RaftkitError } from '../errors.js';

/**
 * Bytes could not be decoded: they are truncated, corrupt, of an unknown format version or
 * record kind, or decode to a value of the wrong shape (a negative term, an unknown message
 * type, a non-boolean `reject`, …). Also thrown when a frame is larger than the configured
 * maximum frame size.
 *
 * Decoding never throws anything else on untrusted input, so a transport can catch this
 * error, count it and drop the peer's frame (or connection) without crashing. Code: `'ERR_CODEC'`.
 */
export class CodecError extends RaftkitError {
  /**
   * @param message - what is wrong with the bytes, naming the record and field.
   * @param options - optional extra detail.
   * @param options.cause - the lower-level error (for example from msgpackr).
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CODEC', message, options);
  }
}

/**
 * Passes a {@link CodecError} through and wraps anything else (which would be a bug, such as
 * a stack overflow on absurdly nested input) so that decoders keep their promise to throw
 * nothing but `CodecError`.
 *
 * @internal
 */
export function toCodecError(err: unknown, record: string): CodecError {
  return err instanceof CodecError ? err : new CodecError(`${record}: undecodable input`, { cause: err });
}
