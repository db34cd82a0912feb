import { RaftkitError } from '../../errors.js';

/**
 * A history (from JSON or handed to the checker) is malformed. `index` is the position
 * of the offending operation (or `-1` for the whole history) and `field` names the bad
 * field. Code: `'ERR_HISTORY_FORMAT'`.
 */
export class HistoryFormatError extends RaftkitError {
  /** The position of the offending operation in the history, or `-1` for the history itself. */
  readonly index: number;
  /** The offending field (such as `'call'`), or `''` when the operation itself is bad. */
  readonly field: string;

  /**
   * @param index - the position of the bad operation, or `-1`.
   * @param field - the bad field, or `''`.
   * @param problem - what is wrong, in a few words.
   * @param options - optional details.
   * @param options.cause - the underlying error, if any.
   */
  constructor(index: number, field: string, problem: string, options?: { cause?: unknown }) {
    const where = index < 0 ? 'history' : field === '' ? `history[${index}]` : `history[${index}].${field}`;
    super('ERR_HISTORY_FORMAT', `${where}: ${problem}`, options);
    this.index = index;
    this.field = field;
  }
}

/**
 * A {@link OperationHandle} was completed twice (for example `ok()` after `unknown()`).
 * Code: `'ERR_OPERATION_ALREADY_COMPLETED'`.
 */
export class OperationAlreadyCompletedError extends RaftkitError {
  /** @param message - detail naming the operation. */
  constructor(message: string) {
    super('ERR_OPERATION_ALREADY_COMPLETED', message);
  }
}
