import { expect, test } from 'vitest';
import { emptyConfState } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import type { Clock } from '../../src/replica/clock.js';
import { StorageWriter } from '../../src/replica/ready-loop.js';
import { Snapshotter } from '../../src/replica/snapshots.js';
import type { StateMachine } from '../../src/replica/state-machine.js';

/** A clock that only moves when told (no timers: `every` never fires, no `soon`). */
class StepClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  every(): () => void {
    return () => undefined;
  }
}

/** A snapshot whose `snapshotChunks` takes 5 ms of the step clock per chunk, in 2 chunks. */
function timedMachine(clock: StepClock, chunkMs: number): StateMachine<number> {
  return {
    appliedIndex: () => 0,
    apply: () => [],
    snapshot: () => new Uint8Array(0),
    restore: () => undefined,
    *snapshotChunks() {
      for (let i = 0; i < 2; i++) {
        clock.t += chunkMs;
        yield new Uint8Array([i]);
      }
    },
  };
}

test('a snapshot\'s marshalling time is its own chunks\' production, not the previous snapshot\'s too', async () => {
  const clock = new StepClock();
  const storage = new MemoryStorage();
  storage.append(Array.from({ length: 20 }, (_, i) => ({ index: i + 1, term: 1, type: 0, data: new Uint8Array(0) })));
  const marshalled: number[] = [];
  const compacted: number[] = [];
  const s = new Snapshotter({
    storage, writer: new StorageWriter(), stateMachine: timedMachine(clock, 5),
    book: () => new Map(), sessions: () => new Uint8Array(0), confState: () => ({ ...emptyConfState(), voters: [1] }),
    every: 5, tail: 2, clock,
    observer: { stored: (sec) => marshalled.push(sec), compacted: (index) => compacted.push(index) },
  }, 0);
  await (await s.take(5)).stored;
  await (await s.take(10)).stored;
  // Two chunks of 5 ms each per snapshot (the header and the capture take no step-clock time).
  expect(marshalled).toEqual([0.01, 0.01]);
  expect(compacted).toEqual([3, 8]);
  expect(s.saving).toBe(false);
});
