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
 *
 * Per read and per round this allocates as little as it can (a member serves one read per
 * linearizable Range): a round builds no AbortController (a round that ends without being given
 * up hands its controller to the next round to start; only a round given up, which aborts it, or
 * one started while another still runs, builds one), and a read without
 * `timeoutMs` or `signal` just shares the round's promise; a bounded read is one object that is its
 * signal's `abort` listener (no closures), settled by its round directly.
 * @module
 */
import { ProposalDroppedError } from '../raft/errors.js';
import { after, systemClock, type Clock } from '../replica/clock.js';
import { AbortedError, TimeoutError } from '../replica/errors.js';
import type { RequestOptions } from '../replica/options.js';

/** `addEventListener` options of a read's abort watch (made once). */
const ONCE = { once: true };

/** A round's promise until it is made. */
const NONE: Promise<void> = Promise.resolve();

/** One round, or the next one queued behind it, and the reads waiting for it. */
class Round {
  promise: Promise<void> = NONE;
  /** Whether its ReadIndex request was made (reads arriving before that join it). */
  started = false;
  /** Whether its request settled (it can no longer be given up). */
  ended = false;
  /** Reads still waiting for it: when the last bounded one gives up, the round is given up too. */
  waiters = 0;
  /** Why it was given up (every read waiting for it gave up), if it was. */
  gaveUp: Error | undefined;
  /** The controller whose signal its request got, while it runs (its own: no other running round shares it). */
  controller: AbortController | undefined;
  /** Its bounded reads (settled when it ends), or undefined while it has none. */
  bounded: BoundedRead[] | undefined;

  /** Adds bounded read `r`: the first one makes the round settle its bounded reads when it ends. */
  add(r: BoundedRead): void {
    if (this.bounded === undefined) {
      this.bounded = [];
      this.promise.then(() => {
        this.end(undefined);
      }, (e: unknown) => {
        this.end(e instanceof Error ? e : new Error(String(e)));
      });
    }
    this.bounded.push(r);
  }

  /** A bounded read gave up: the last one waiting gives the round up (aborting its request's signal when it runs). */
  leave(): void {
    if (--this.waiters !== 0 || this.ended) return;
    this.gaveUp = new AbortedError('every read waiting for this round gave up');
    this.controller?.abort(this.gaveUp);
  }

  /** Settles its bounded reads that are still waiting with its outcome. */
  private end(err: Error | undefined): void {
    const reads = this.bounded ?? [];
    this.bounded = [];
    for (const r of reads) r.settle(err);
  }
}

/**
 * A read bounded by its own `timeoutMs` or `signal`, waiting for a round: one object, which is
 * also its signal's `abort` listener (`handleEvent`), so a read costs no closures.
 */
class BoundedRead {
  readonly #round: Round;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: () => void;
  readonly #reject: (err: Error) => void;
  /** Stops its timer (set when it has `timeoutMs`). */
  cancelTimer: (() => void) | undefined;
  #done = false;

  constructor(round: Round, signal: AbortSignal | undefined, resolve: () => void, reject: (err: Error) => void) {
    this.#round = round;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal?.addEventListener('abort', this, ONCE);
    round.add(this);
  }

  /** Its signal aborted: it fails alone, with `AbortedError`. */
  handleEvent(): void {
    this.giveUp(new AbortedError(this.#signal?.reason));
  }

  /** Fails it alone with `err` (its signal or its deadline); the round is given up when it was the last read waiting. */
  giveUp(err: Error): void {
    if (!this.#stop()) return;
    this.#round.leave();
    this.#reject(err);
  }

  /** Settles it with its round's outcome (`err` when the round failed). */
  settle(err: Error | undefined): void {
    if (!this.#stop()) return;
    if (err === undefined) this.#resolve();
    else this.#reject(err);
  }

  /** Stops its timer and its listener; false when it was settled already. */
  #stop(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.cancelTimer?.();
    this.#signal?.removeEventListener('abort', this);
    return true;
  }
}

/** Coalesces read barriers: `wait()` resolves after a barrier that started after the call. */
export class ReadBarrier {
  readonly #round: (signal: AbortSignal) => Promise<unknown>;
  readonly #clock: Clock;
  readonly #hasLeader: () => boolean;
  #current: Round | undefined;
  #next: Round | undefined;
  /** The controller of the last round that ended without being given up (unaborted, unlistened), for the next round to start. */
  #spare: AbortController | undefined;

  /**
   * @param round - runs one barrier (the Replica's `read({ signal })`): resolves once the state is at least as new as the read index it confirms; gives up when `signal` aborts (every read waiting for it has given up). It must stop listening to `signal` once it settles: the signal of a round that was not given up goes to a later round.
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
      const read = new BoundedRead(round, signal, resolve, reject);
      if (timeoutMs !== undefined) read.cancelTimer = after(this.#clock, timeoutMs, () => read.giveUp(new TimeoutError(`read barrier timed out after ${timeoutMs} ms`)));
    });
  }

  /** The round a read arriving now waits for: a new one (started soon) or one not started yet when none is in flight, else the next one. */
  #join(): Round {
    const current = this.#current;
    let round: Round;
    if (current === undefined || (!current.started && current.gaveUp !== undefined)) {
      const fresh = new Round();
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
      if (this.#next === undefined || this.#next.gaveUp !== undefined) {
        const next = new Round();
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
    if (round.gaveUp !== undefined) {
      round.ended = true;
      if (this.#current === round) this.#current = undefined;
      return Promise.reject(round.gaveUp);
    }
    this.#current = round;
    const controller = this.#spare ?? new AbortController();
    this.#spare = undefined;
    round.controller = controller;
    const p = this.#round(controller.signal).then(noop);
    const clear = (): void => {
      round.ended = true;
      if (!controller.signal.aborted) this.#spare = controller;
      if (this.#current === round) this.#current = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

function noop(): void {
  // nothing to do
}
