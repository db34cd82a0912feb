/**
 * One linearizable read barrier (a Raft ReadIndex round) shared by every read that arrives
 * while none is in flight, as etcd's linearizable read loop does: a read that arrives while a
 * round is in flight waits for the next round, which starts when that one ends (a round started
 * before a read arrived could miss a write that completed in between), so concurrent reads cost
 * one round of heartbeats between them instead of one each. A round that nothing is queued
 * behind starts in the next turn of the event loop (the clock's `soon`), not at once, so that
 * the requests a client sent together (one network read's worth) share it instead of the first
 * taking a round of its own and the rest the next. Each read keeps its own `timeoutMs`,
 * `waitForLeader` and `signal` while it shares the round.
 * @module
 */
import { ProposalDroppedError } from '../raft/errors.js';
import { after, systemClock, type Clock } from '../replica/clock.js';
import { AbortedError, TimeoutError } from '../replica/errors.js';
import type { RequestOptions } from '../replica/options.js';

/** One round, or the next one queued behind it, and the reads waiting for it. */
interface Round {
  promise: Promise<void>;
  /** Whether its ReadIndex request was made (reads arriving before that join it). */
  started: boolean;
  /** Reads still waiting for it: when the last bounded one gives up, the round is given up too. */
  waiters: number;
  controller: AbortController;
}

/** Coalesces read barriers: `wait()` resolves after a barrier that started after the call. */
export class ReadBarrier {
  readonly #round: (signal: AbortSignal) => Promise<unknown>;
  readonly #clock: Clock;
  readonly #hasLeader: () => boolean;
  #current: Round | undefined;
  #next: Round | undefined;

  /**
   * @param round - runs one barrier (the Replica's `read({ signal })`): resolves once the state is at least as new as the read index it confirms; gives up when `signal` aborts (every read waiting for it has given up).
   * @param clock - the clock a read's own `timeoutMs` runs on (default the system clock).
   * @param hasLeader - whether a leader is known (a read with `waitForLeader: false` fails at once otherwise); default always.
   */
  constructor(round: (signal: AbortSignal) => Promise<unknown>, clock: Clock = systemClock, hasLeader: () => boolean = () => true) {
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
    const round = this.#join();
    if (timeoutMs === undefined && signal === undefined) return round.promise;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      // `ended`: the round itself settled (nothing left to give up).
      const finish = (err?: Error, ended = false): void => {
        if (done) return;
        done = true;
        cancel?.();
        signal?.removeEventListener('abort', abort);
        if (--round.waiters === 0 && !ended) round.controller.abort(new AbortedError('every read waiting for this round gave up'));
        if (err === undefined) resolve();
        else reject(err);
      };
      const abort = (): void => finish(new AbortedError(signal?.reason));
      const cancel = timeoutMs === undefined ? undefined : after(this.#clock, timeoutMs, () => finish(new TimeoutError(`read barrier timed out after ${timeoutMs} ms`)));
      signal?.addEventListener('abort', abort, { once: true });
      round.promise.then(() => finish(undefined, true), (e: unknown) => finish(e instanceof Error ? e : new Error(String(e)), true));
    });
  }

  /** The round a read arriving now waits for: a new one (started soon) or one not started yet when none is in flight, else the next one. */
  #join(): Round {
    const current = this.#current;
    let round: Round;
    if (current === undefined) {
      const fresh = newRound();
      this.#current = fresh;
      fresh.promise = new Promise<void>((resolve, reject) => {
        const start = (): void => {
          this.#run(fresh).then(resolve, reject);
        };
        if (this.#clock.soon === undefined) queueMicrotask(start);
        else this.#clock.soon(start);
      });
      round = fresh;
    } else if (!current.started) {
      round = current;
    } else {
      if (this.#next === undefined || this.#next.controller.signal.aborted) {
        const next = newRound();
        next.promise = current.promise.then(noop, noop).then(() => {
          if (this.#next === next) this.#next = undefined;
          return this.#run(next);
        });
        this.#next = next;
      }
      round = this.#next;
    }
    round.waiters++;
    return round;
  }

  /** Starts `round` (unless every read waiting for it already gave up). */
  #run(round: Round): Promise<void> {
    round.started = true;
    const signal = round.controller.signal;
    if (signal.aborted) {
      if (this.#current === round) this.#current = undefined;
      return Promise.reject(signal.reason as Error);
    }
    this.#current = round;
    const p = this.#round(signal).then(noop);
    const clear = (): void => {
      if (this.#current === round) this.#current = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

function newRound(): Round {
  return { promise: Promise.resolve(), started: false, waiters: 0, controller: new AbortController() };
}

function noop(): void {
  // nothing to do
}
