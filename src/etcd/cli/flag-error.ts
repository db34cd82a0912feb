import { RaftkitError } from '../../errors.js';

/** A flag or environment value the `raftkit` command refuses. Code `ERR_BAD_FLAG`. */
export class FlagError extends RaftkitError {
  /** The flag (or `ETCD_*` variable) at fault. */
  readonly flag: string;

  /**
   * @param flag - the flag named in the message.
   * @param message - what is wrong with it.
   */
  constructor(flag: string, message: string) {
    super('ERR_BAD_FLAG', message);
    this.flag = flag;
  }
}

/** Go's flag package's refusal of a value: `invalid value "<value>" for flag -<flag>: <why>`. */
export function invalidValue(flag: string, value: string, why: string): FlagError {
  return new FlagError(flag, `invalid value "${value}" for flag -${flag}: ${why}`);
}
