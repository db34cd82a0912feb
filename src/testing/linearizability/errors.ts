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

/**
 * A parallel check (`CheckOptions.parallel`) could not use its worker threads: a thread
 * could not rebuild the model from its recipe (`Model.recipe`), threw while checking, exited
 * before answering, or the worker file is missing. The message says which; `cause` holds
 * the thread's error when there is one. Code: `'ERR_PARALLEL_CHECK'`.
 */
export class ParallelCheckError extends RaftkitError {
  /**
   * @param message - what went wrong.
   * @param options - optional details.
   * @param options.cause - the underlying error, if any.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PARALLEL_CHECK', message, options);
  }
}
