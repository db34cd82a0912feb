/**
 * The per-request options of `KvClient` calls: the Replica's own `RequestOptions` (`timeoutMs`,
 * `waitForLeader`, `signal`), accepted next to a call's other options and handed to the
 * proposal or the read barrier the call waits for.
 * @module
 */
import type { RequestOptions } from '../replica/options.js';
import { checkRequestOptions } from '../replica/validate.js';

/**
 * How long a `KvClient` request may wait and what it does without a leader: the Replica's
 * {@link RequestOptions}. `timeoutMs` bounds the whole request (`TimeoutError`; default the
 * replica's `requestTimeoutMs`), `waitForLeader: false` fails it at once with
 * `ProposalDroppedError` while no leader is known, and `signal` gives it up with `AbortedError`.
 * A request that timed out or was aborted after its command reached Raft may still be applied.
 */
export type KvRequestOptions = RequestOptions;

/**
 * Splits a call's options into the request options and the rest, checking the request options.
 *
 * @throws `InvalidArgumentError` naming a request option of the wrong type.
 */
export function splitRequestOptions<T extends object>(options: T & KvRequestOptions): [Omit<T, keyof KvRequestOptions>, KvRequestOptions] {
  const { timeoutMs, waitForLeader, signal, ...rest } = options;
  const request: KvRequestOptions = {};
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  if (waitForLeader !== undefined) request.waitForLeader = waitForLeader;
  if (signal !== undefined) request.signal = signal;
  return [rest, checkRequestOptions(request)];
}
