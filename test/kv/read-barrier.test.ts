import { describe, expect, test } from 'vitest';
import { ReadBarrier } from '../../src/kv/read-barrier.js';
import type { Clock } from '../../src/replica/clock.js';
import { AbortedError } from '../../src/replica/errors.js';

/** A clock whose "next turn of the event loop" (`soon`) the test runs by hand, with `turn()`. */
function turns(): { clock: Clock; turn: () => void } {
  let queued: (() => void)[] = [];
  const clock: Clock = { now: () => 0, every: () => () => undefined, soon: (fn) => queued.push(fn) };
  return {
    clock,
    turn: () => {
      const now = queued;
      queued = [];
      for (const fn of now) fn();
    },
  };
}

/** A barrier whose rounds the test settles by hand, and whose event-loop turns it runs by hand. */
function manual(): { barrier: ReadBarrier; rounds: { resolve(): void; reject(e: Error): void }[]; turn: () => void } {
  const rounds: { resolve(): void; reject(e: Error): void }[] = [];
  const { clock, turn } = turns();
  const barrier = new ReadBarrier(() => new Promise<void>((resolve, reject) => rounds.push({ resolve, reject })), clock);
  return { barrier, rounds, turn };
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('ReadBarrier (linearizable reads share ReadIndex rounds)', () => {
  test('a read while no round is in flight starts one in the next turn of the event loop, shared by every read of this turn', async () => {
    const { barrier, rounds, turn } = manual();
    const w = [barrier.wait(), barrier.wait()];
    expect(rounds).toHaveLength(0);
    turn();
    expect(rounds).toHaveLength(1);
    const late = barrier.wait(); // the round has started: this read needs the next one
    rounds[0]!.resolve();
    await Promise.all(w);
    expect(await settled(late)).toBe(false);
    expect(rounds).toHaveLength(2);
    rounds[1]!.resolve();
    await late;
  });

  test('without the clock\'s soon, the round starts once the current microtasks are done', async () => {
    const rounds: (() => void)[] = [];
    const barrier = new ReadBarrier(() => new Promise<void>((resolve) => rounds.push(resolve)), { now: () => 0, every: () => () => undefined });
    const a = barrier.wait();
    const b = barrier.wait();
    expect(rounds).toHaveLength(0);
    await Promise.resolve();
    expect(rounds).toHaveLength(1);
    rounds[0]!();
    await Promise.all([a, b]);
  });

  test('reads that arrive during a round wait for the next round, which they all share', async () => {
    const { barrier, rounds, turn } = manual();
    const first = barrier.wait();
    turn();
    const later = [barrier.wait(), barrier.wait(), barrier.wait()];
    expect(rounds).toHaveLength(1);
    rounds[0]!.resolve();
    await first;
    expect(await settled(Promise.all(later))).toBe(false); // the round in flight when they came does not count
    await Promise.resolve();
    expect(rounds).toHaveLength(2);
    rounds[1]!.resolve();
    await Promise.all(later);
    expect(rounds).toHaveLength(2);
  });

  test("a round's failure rejects exactly the reads waiting on it; the next read starts a new round", async () => {
    const { barrier, rounds, turn } = manual();
    const a = barrier.wait();
    turn();
    const b = barrier.wait();
    rounds[0]!.reject(new Error('no leader'));
    await expect(a).rejects.toThrow('no leader');
    expect(await settled(b)).toBe(false);
    rounds[1]!.resolve();
    await b;
    const c = barrier.wait();
    turn();
    expect(rounds).toHaveLength(3);
    rounds[2]!.resolve();
    await c;
  });

  test('a round is given up (its signal aborted) once every read waiting for it has given up, and not before', async () => {
    const signals: AbortSignal[] = [];
    const { clock, turn } = turns();
    const barrier = new ReadBarrier((signal) => {
      signals.push(signal);
      return new Promise<void>(() => undefined);
    }, clock);
    const plain = barrier.wait(); // waits as long as the round does
    const a = new AbortController();
    const bounded = barrier.wait({ signal: a.signal });
    turn();
    a.abort();
    await expect(bounded).rejects.toBeInstanceOf(AbortedError);
    expect(signals[0]!.aborted).toBe(false);
    expect(await settled(plain)).toBe(false);

    const b = new AbortController();
    const next = barrier.wait({ signal: b.signal }); // queued behind the first round
    b.abort();
    await expect(next).rejects.toBeInstanceOf(AbortedError);
    expect(signals).toHaveLength(1); // the queued round will not run: nobody waits for it
  });

  test('a lone bounded read that gives up gives its round up', async () => {
    const signals: AbortSignal[] = [];
    const { clock, turn } = turns();
    const barrier = new ReadBarrier((signal) => {
      signals.push(signal);
      return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('gave up'))));
    }, clock);
    const a = new AbortController();
    const w = barrier.wait({ signal: a.signal });
    turn();
    a.abort();
    await expect(w).rejects.toBeInstanceOf(AbortedError);
    expect(signals[0]!.aborted).toBe(true);
    // The next read starts a fresh round.
    const again = new AbortController();
    const w2 = barrier.wait({ signal: again.signal });
    turn();
    expect(signals).toHaveLength(2);
    again.abort();
    await expect(w2).rejects.toBeInstanceOf(AbortedError);
  });

  test('a round that ended is not given up afterwards by the bounded reads it answered', async () => {
    const signals: AbortSignal[] = [];
    const { clock, turn } = turns();
    let end: (() => void) | undefined;
    const barrier = new ReadBarrier((signal) => {
      signals.push(signal);
      return new Promise<void>((resolve) => (end = resolve));
    }, clock);
    const w = [barrier.wait({ signal: new AbortController().signal }), barrier.wait({ timeoutMs: 60_000 })];
    turn();
    end!();
    await Promise.all(w);
    expect(signals[0]!.aborted).toBe(false);
  });

  test('a round every read gave up on before it started never runs; the next read starts a fresh one', async () => {
    const signals: AbortSignal[] = [];
    const { clock, turn } = turns();
    const barrier = new ReadBarrier((signal) => {
      signals.push(signal);
      return Promise.resolve();
    }, clock);
    const a = new AbortController();
    const w = barrier.wait({ signal: a.signal });
    a.abort();
    await expect(w).rejects.toBeInstanceOf(AbortedError);
    turn();
    await Promise.resolve();
    expect(signals).toHaveLength(0);
    const w2 = barrier.wait();
    turn();
    await w2;
    expect(signals).toHaveLength(1);
  });
});
