import { RaftkitError } from '../../errors.js';

/**
 * What is wrong with a snapshot file, as named by {@link SnapshotCorruptError.problem}:
 * - `'meta'`: neither meta page (0 or 1) has bbolt's magic, version 2 and a matching FNV-64a checksum.
 * - `'truncated'`: the file ends before a page the meta or a branch points to.
 * - `'page'`: a page id is out of range, points at the wrong page type, is reached twice, or a
 *   page header disagrees with its own id.
 * - `'element'`: a branch or leaf element's offset or size reaches outside its page.
 * - `'order'`: keys within a bucket (or bucket names) are not strictly ascending.
 * - `'sha256'`: the trailing SHA-256 written after the database (etcd's snapshot stream) does not
 *   match the file's contents.
 * - `'layout'`: the bbolt file is sound but is not an etcd backend (a required bucket is missing or
 *   a key/value in it cannot be decoded).
 */
export type SnapshotProblem = 'meta' | 'truncated' | 'page' | 'element' | 'order' | 'sha256' | 'layout';

/**
 * A snapshot or bbolt database file was refused because it is damaged or is not what it claims to
 * be. Code `ERR_SNAPSHOT_CORRUPT`. Nothing is restored from a file that raised it.
 */
export class SnapshotCorruptError extends RaftkitError {
  /** Which check failed (see {@link SnapshotProblem}). */
  readonly problem: SnapshotProblem;

  /**
   * @param problem - which check failed.
   * @param detail - where and what, e.g. `"page 7: leaf element 3 reaches past the page"`.
   * @param options - optional settings.
   * @param options.cause - the underlying error, if any.
   */
  constructor(problem: SnapshotProblem, detail: string, options?: { cause?: unknown }) {
    super('ERR_SNAPSHOT_CORRUPT', `snapshot file is corrupt (${problem}): ${detail}`, options);
    this.problem = problem;
  }
}

/**
 * The bbolt writer was fed input it cannot store: keys out of order, an empty or oversized key,
 * or buckets out of name order. Code `ERR_BBOLT_INPUT`.
 */
export class BoltInputError extends RaftkitError {
  /**
   * @param message - what was wrong with the input.
   */
  constructor(message: string) {
    super('ERR_BBOLT_INPUT', message);
  }
}
