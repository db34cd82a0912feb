import { describe, expect, test } from 'vitest';
import { ReadBarrier } from '../../src/kv/read-barrier.js';

/** A barrier whose rounds the test settles by hand. */
function manual(): { barrier: ReadBarrier; rounds: { resolve(): void; reject(e: Error): void }[] } {
  const rounds: { resolve(): void; reject(e: Error): void }[] = [];
  const barrier = new ReadBarrier(() => new Promise<void>((resolve, reject) => rounds.push({ resolve, reject })));
  return { barrier, rounds };
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('ReadBarrier (linearizable reads share ReadIndex rounds)', () => {
  test('a read while no round is in flight starts one at once', async () => {
    const { barrier, rounds } = manual();
    const w = barrier.wait();
    expect(rounds).toHaveLength(1);
    rounds[0]!.resolve();
    await w;
  });

  test('reads that arrive during a round wait for the next round, which they all share', async () => {
    const { barrier, rounds } = manual();
    const first = barrier.wait();
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
    const { barrier, rounds } = manual();
    const a = barrier.wait();
    const b = barrier.wait();
    rounds[0]!.reject(new Error('no leader'));
    await expect(a).rejects.toThrow('no leader');
    expect(await settled(b)).toBe(false);
    rounds[1]!.resolve();
    await b;
    const c = barrier.wait();
    expect(rounds).toHaveLength(3);
    rounds[2]!.resolve();
    await c;
  });
});
