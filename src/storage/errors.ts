import { RaftkitError } from '../errors.js';

/**
 * A storage method received an argument it cannot accept: a negative or fractional index,
 * entries that are not consecutive, a non-positive chunk size, compaction beyond the
 * snapshot. Nothing was written. Code: `'ERR_STORAGE_INVALID_ARGUMENT'`.
 */
export class StorageInvalidArgumentError extends RaftkitError {
  /** @param message - which argument is wrong and which rule it breaks. */
  constructor(message: string) {
    super('ERR_STORAGE_INVALID_ARGUMENT', message);
  }
}

/**
 * The persisted data failed a check while it was being loaded: a checksum mismatch, an
 * undecodable record, a gap or a record stored under the wrong index, or a log that ends
 * below the persisted commit index. The storage refuses to open rather than lose or invent
 * data; see `LevelStorage` for the one case that is repaired instead. Code: `'ERR_CORRUPT'`.
 */
export class CorruptStorageError extends RaftkitError {
  /** The log index of the bad record, when the bad record is a log entry (or a missing one). */
  readonly index: number | undefined;
  /** Which record is bad, such as `'entry'`, `'hard state'` or `'snapshot chunk'`. */
  readonly record: string;

  /**
   * @param record - which record is bad.
   * @param index - the log index involved, if any.
   * @param message - what is wrong with it.
   * @param options - optional extra detail.
   * @param options.cause - the lower-level error (for example a `CodecError`).
   */
  constructor(record: string, index: number | undefined, message: string, options?: { cause?: unknown }) {
    super('ERR_CORRUPT', `${record}${index === undefined ? '' : ` at index ${index}`}: ${message}`, options);
    this.index = index;
    this.record = record;
  }
}

/**
 * A storage could not be opened: the path is unusable (not a directory, no permission, a
 * missing parent…), the database is locked by another process, or the database's own `open`
 * failed. The message names the path and the cause; `cause` is the underlying error. Code
 * `ERR_STORAGE_OPEN`.
 */
export class StorageOpenError extends RaftkitError {
  /** The path (or `'the given db'`) that could not be opened. */
  readonly path: string;

  /**
   * @param path - what was opened.
   * @param message - why it failed.
   * @param options - optional settings.
   * @param options.cause - the underlying error.
   */
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_OPEN', message, options);
    this.path = path;
  }
}
