/**
 * One linearizable read barrier (a Raft ReadIndex round) shared by every read that arrives
 * while none is in flight, as etcd's linearizable read loop does: a read that arrives while a
 * round is in flight waits for the next round, which starts when that one ends (a round started
 * before a read arrived could miss a write that completed in between), so concurrent reads cost
 * one round of heartbeats between them instead of one each.
 * @module
 */

/** Coalesces read barriers: `wait()` resolves after a barrier that started after the call. */
export class ReadBarrier {
  readonly #round: () => Promise<unknown>;
  #current: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  /** @param round - runs one barrier (the Replica's `read()`): resolves once the state is at least as new as the read index it confirms. */
  constructor(round: () => Promise<unknown>) {
    this.#round = round;
  }

  /** Resolves (or rejects, with the round's error) after a round that started after this call. */
  wait(): Promise<void> {
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
