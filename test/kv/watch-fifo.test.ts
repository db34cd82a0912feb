import { afterEach, expect, test, vi } from 'vitest';
import { Fifo } from '../../src/kv/watch/fifo.js';
import { WatchHub } from '../../src/kv/watch/watch-hub.js';
import type { WatchSource } from '../../src/kv/watch/types.js';
import { EventType, type Event } from '../../src/kv/types.js';
import { SeededRng } from '../../src/raft/rng.js';

// A watcher's backlog is a Fifo: taking a batch is O(1) however long the backlog (no
// Array.prototype.shift), in order, and taken batches are not kept alive.

afterEach(() => {
  vi.restoreAllMocks();
});

test('a Fifo gives back what was pushed, in order, against an array model over seeded pushes and shifts', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new SeededRng(seed);
    const q = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    let maxLength = 0;
    const wrong: string[] = [];
    for (let step = 0; step < 3000; step++) {
      if (rng.nextInt(100) < 55) {
        q.push(next);
        model.push(next++);
      } else {
        const want = model[0];
        if (q.peek() !== want) wrong.push(`step ${String(step)}: peek`);
        if (q.shift() !== model.shift()) wrong.push(`step ${String(step)}: shift`);
      }
      maxLength = Math.max(maxLength, model.length);
      if (q.length !== model.length) wrong.push(`step ${String(step)}: length`);
      // Memory follows the queue: never more than twice the longest backlog (plus the slack below which it is not cut).
      if (q.slots > 2 * maxLength + 64) wrong.push(`step ${String(step)}: ${String(q.slots)} slots`);
    }
    expect(wrong, `seed ${String(seed)}`).toEqual([]);
    while (model.length > 0) expect(q.shift()).toBe(model.shift());
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    expect(q.length).toBe(0);
    expect(q.slots).toBe(0);
  }
});

test('a Fifo keeps no taken item: a long backlog taken down to a few holds memory for about those few', () => {
  const q = new Fifo<object>();
  for (let i = 0; i < 10_000; i++) q.push({ i });
  for (let i = 0; i < 9_990; i++) q.shift();
  expect(q.length).toBe(10);
  expect(q.slots).toBeLessThanOrEqual(10 + 64);
});

/** A source with one revision of one PUT per `apply`. */
function source(): { src: WatchSource; apply: () => void } {
  let rev = 1;
  const observers = new Set<Parameters<WatchSource['onRevision']>[0]>();
  const src: WatchSource = {
    revision: () => rev,
    compactRevision: () => -1,
    onRevision: (fn) => (observers.add(fn), () => observers.delete(fn)),
    onRestore: () => () => undefined,
    readEvents: () => Promise.resolve([]),
    readAt: () => Promise.resolve(undefined),
    header: (revision) => ({ clusterId: 1n, memberId: 2n, revision, raftTerm: 3 }),
  };
  const key = Uint8Array.of(0x6b);
  return {
    src,
    apply: () => {
      rev++;
      const events: Event[] = [{ type: EventType.PUT, kv: { key, createRevision: rev, modRevision: rev, version: 1, value: key, lease: 0n } }];
      for (const fn of observers) fn({ revision: rev, events });
    },
  };
}

test('a watcher with a long backlog hands it out in revision order without Array.prototype.shift', () => {
  const { src, apply } = source();
  const hub = new WatchHub(src, { maxBacklog: 100_000 });
  const w = hub.watch(Uint8Array.of(0x6b), new Uint8Array(0), {});
  for (let i = 0; i < 20_000; i++) apply();
  expect(w.backlog).toBe(20_000);
  const shift = vi.spyOn(Array.prototype, 'shift');
  const revisions: number[] = [];
  for (let b = w.take(); b !== undefined; b = w.take()) revisions.push(b.header.revision);
  expect(shift).not.toHaveBeenCalled();
  expect(revisions).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 2));
  expect(w.backlog).toBe(0);
  w.cancel();
  expect(w.take()?.canceled).toBe(true);
  expect(w.finished).toBe(true);
  hub.close();
});
