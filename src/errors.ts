/**
 * The base of every error raftkit throws or rejects with.
 *
 * Callers match on {@link RaftkitError.code}, which is stable across releases,
 * rather than on the message text or the class.
 */
export class RaftkitError extends Error {
  /** A stable, machine-readable error code such as `'ERR_PROPOSAL_DROPPED'`. */
  readonly code: string;

  /**
   * @param code - the stable error code.
   * @param message - a human-readable explanation.
   * @param options - optional settings.
   * @param options.cause - the underlying error, if any.
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}
