import { RaftkitError } from './errors.js';

/**
 * The lifecycle of a storage, transport or replica: `'opening'` until it is started or
 * opened (calls made meanwhile are deferred), `'open'` while it works, then `'closing'` and
 * finally `'closed'` (calls are refused with a {@link NotOpenError}).
 */
export type ResourceStatus = 'opening' | 'open' | 'closing' | 'closed';

/**
 * A call was made on a storage, transport or replica that is not open (a storage read before
 * `open()` finished, or any call once `close()` started). Code: `'ERR_NOT_OPEN'`.
 */
export class NotOpenError extends RaftkitError {
  /**
   * @param what - the resource and call, for example `'transport 1: send'`.
   * @param status - the status the resource was in.
   */
  constructor(what: string, status: ResourceStatus) {
    super('ERR_NOT_OPEN', `${what}: not open (status ${status})`);
    this.status = status;
  }

  /** The status the resource was in when the call was refused. */
  readonly status: ResourceStatus;
}
