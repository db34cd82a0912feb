/**
 * One linearizable read barrier (a Raft ReadIndex round) shared by every read that arrives
 * while none is in flight, as etcd's linearizable read loop does: a read that arrives while a
 * round is in flight waits for the next round, which starts when that one ends (a round started
 * before a read arrived could miss a write that completed in between), so concurrent reads cost
 * one round of heartbeats between them instead of one each. Each read keeps its own
 * `timeoutMs`, `waitForLeader` and `signal` while it shares the round.
 * @module
 */
import { ProposalDroppedError } from '../raft/errors.js';
import { after, systemClock, type Clock } from '../replica/clock.js';
import { AbortedError, TimeoutError } from '../replica/errors.js';
import type { RequestOptions } from '../replica/options.js';

/** Coalesces read barriers: `wait()` resolves after a barrier that started after the call. */
export class ReadBarrier {
  readonly #round: () => Promise<unknown>;
  readonly #clock: Clock;
  readonly #hasLeader: () => boolean;
  #current: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  /**
   * @param round - runs one barrier (the Replica's `read()`): resolves once the state is at least as new as the read index it confirms.
   * @param clock - the clock a read's own `timeoutMs` runs on (default the system clock).
   * @param hasLeader - whether a leader is known (a read with `waitForLeader: false` fails at once otherwise); default always.
   */
  constructor(round: () => Promise<unknown>, clock: Clock = systemClock, hasLeader: () => boolean = () => true) {
    this.#round = round;
    this.#clock = clock;
    this.#hasLeader = hasLeader;
  }

  /**
   * Resolves (or rejects, with the round's error) after a round that started after this call.
   * With `options`, the wait fails with `TimeoutError` after `timeoutMs` (the shared round itself
   * is bounded by the replica's `requestTimeoutMs`), with `ProposalDroppedError` at once when
   * `waitForLeader` is false and no leader is known, and with `AbortedError` when `signal` aborts.
   */
  wait(options: RequestOptions = {}): Promise<void> {
    const { timeoutMs, waitForLeader, signal } = options;
    if (waitForLeader === false && !this.#hasLeader()) return Promise.reject(new ProposalDroppedError('no leader; cannot confirm a read index'));
    if (signal?.aborted === true) return Promise.reject(new AbortedError(signal.reason));
    const shared = this.#shared();
    if (timeoutMs === undefined && signal === undefined) return shared;
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        cancel?.();
        signal?.removeEventListener('abort', abort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const abort = (): void => finish(new AbortedError(signal?.reason));
      const cancel = timeoutMs === undefined ? undefined : after(this.#clock, timeoutMs, () => finish(new TimeoutError(`read barrier timed out after ${timeoutMs} ms`)));
      signal?.addEventListener('abort', abort, { once: true });
      shared.then(() => finish(), (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
    });
  }

  #shared(): Promise<void> {
    if (this.#current === undefined) return this.#start();
    const current = this.#current;
    this.#next ??= current.then(noop, noop).then(() => {
      this.#next = undefined;
      return this.#start();
    });
    return this.#next;
  }

  #start(): Promise<void> {
    const p = this.#round().then(noop);
    this.#current = p;
    const clear = (): void => {
      if (this.#current === p) this.#current = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

function noop(): void {
  // nothing to do
}
