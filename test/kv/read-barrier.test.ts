import { getEventListeners } from 'node:events';
import { describe, expect, test } from 'vitest';
import { ReadBarrier } from '../../src/kv/read-barrier.js';
import type { Clock } from '../../src/replica/clock.js';
import { AbortedError, TimeoutError } from '../../src/replica/errors.js';

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

  test('an aborted read fails alone: the others of its round resolve with it, and no signal keeps a listener', async () => {
    const { barrier, rounds, turn } = manual();
    const signals = Array.from({ length: 50 }, () => new AbortController());
    const reads = signals.map((c) => barrier.wait({ signal: c.signal }));
    const plain = barrier.wait();
    turn();
    expect(rounds).toHaveLength(1); // many reads, one round
    signals[7]!.abort();
    await expect(reads[7]).rejects.toBeInstanceOf(AbortedError);
    expect(await settled(Promise.all(reads.filter((_, i) => i !== 7)))).toBe(false);
    rounds[0]!.resolve();
    await Promise.all([plain, ...reads.filter((_, i) => i !== 7)]);
    expect(rounds).toHaveLength(1);
    for (const c of signals) expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  test("a failed round rejects its bounded and unbounded reads with the round's own error", async () => {
    const { barrier, rounds, turn } = manual();
    const reads = [barrier.wait(), barrier.wait({ signal: new AbortController().signal }), barrier.wait({ timeoutMs: 60_000 })];
    turn();
    const err = new Error('no leader');
    rounds[0]!.reject(err);
    for (const r of reads) await expect(r).rejects.toBe(err);
  });

  test('a read past its timeoutMs fails alone with TimeoutError', async () => {
    let fire: (() => void) | undefined;
    const { clock: base, turn } = turns();
    const clock: Clock = {
      ...base,
      every: (_ms, fn) => {
        fire = fn;
        return () => {
          fire = undefined;
        };
      },
    };
    const rounds: (() => void)[] = [];
    const barrier = new ReadBarrier(() => new Promise<void>((resolve) => rounds.push(resolve)), clock);
    const timed = barrier.wait({ timeoutMs: 5 });
    const other = barrier.wait({ signal: new AbortController().signal });
    turn();
    fire!();
    await expect(timed).rejects.toBeInstanceOf(TimeoutError);
    expect(fire).toBeUndefined(); // its timer is gone
    rounds[0]!();
    await other;
  });

  test('rounds reuse one signal (no AbortController per round) until a round is given up; the next round then gets a fresh one', async () => {
    const signals: AbortSignal[] = [];
    const ends: ((e?: Error) => void)[] = [];
    const { clock, turn } = turns();
    const barrier = new ReadBarrier((signal) => {
      signals.push(signal);
      return new Promise<void>((resolve, reject) => {
        const abort = (): void => reject(new Error('gave up'));
        signal.addEventListener('abort', abort, { once: true });
        ends.push(() => {
          signal.removeEventListener('abort', abort);
          resolve();
        });
      });
    }, clock);
    for (let i = 0; i < 3; i++) {
      const w = barrier.wait({ signal: new AbortController().signal });
      turn();
      ends[i]!();
      await w;
    }
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(1);
    expect(signals[0]!.aborted).toBe(false);
    const a = new AbortController();
    const gaveUp = barrier.wait({ signal: a.signal });
    turn();
    a.abort();
    await expect(gaveUp).rejects.toBeInstanceOf(AbortedError);
    expect(signals[3]).toBe(signals[0]);
    expect(signals[3]!.aborted).toBe(true);
    await settled(Promise.resolve());
    const w = barrier.wait();
    turn();
    expect(signals).toHaveLength(5);
    expect(signals[4]!.aborted).toBe(false);
    expect(signals[4]).not.toBe(signals[3]);
    ends[4]!();
    await w;
  });

  test('two rounds that run at once (a read arriving as one round ends and the queued one starts) never share a signal', async () => {
    const running = new Set<AbortSignal>();
    let overlapped = false;
    const ends: (() => void)[] = [];
    const { clock, turn } = turns();
    const barrier = new ReadBarrier((signal) => {
      expect(running.has(signal)).toBe(false);
      running.add(signal);
      overlapped ||= running.size > 1;
      return new Promise<void>((resolve) => ends.push(() => {
        running.delete(signal);
        resolve();
      }));
    }, clock);
    const first = barrier.wait();
    turn();
    const queued = barrier.wait({ signal: new AbortController().signal });
    ends[0]!();
    await first;
    const late = barrier.wait({ signal: new AbortController().signal }); // no round in flight as far as it can tell: a fresh one
    await settled(Promise.resolve());
    turn();
    expect(overlapped).toBe(true);
    expect(ends).toHaveLength(3);
    ends[1]!();
    ends[2]!();
    await Promise.all([queued, late]);
  });

  test('a read arriving after every read gave up on a round not started yet waits for a fresh round instead of failing', async () => {
    const { barrier, rounds, turn } = manual();
    const a = new AbortController();
    const gaveUp = barrier.wait({ signal: a.signal });
    a.abort();
    await expect(gaveUp).rejects.toBeInstanceOf(AbortedError);
    const w = barrier.wait();
    turn();
    expect(rounds).toHaveLength(1);
    rounds[0]!.resolve();
    await w;
  });
});
