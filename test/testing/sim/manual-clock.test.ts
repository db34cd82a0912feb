import { expect, test } from 'vitest';
import { ManualClock, MemberClock } from '../../../src/testing/sim/manual-clock.js';

function run(clock: ManualClock, until: number): void {
  while (clock.step(until));
  clock.jump(until);
}

test('timers fire in (time, insertion) order, and time never moves backwards', () => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.schedule(() => fired.push('b@10'), 10);
  clock.schedule(() => fired.push('a@5'), 5);
  clock.schedule(() => fired.push('c@10'), 10);
  clock.schedule(() => fired.push('d@0'), 0);
  run(clock, 9);
  expect(fired).toEqual(['d@0', 'a@5']);
  expect(clock.now()).toBe(9);
  run(clock, 20);
  expect(fired).toEqual(['d@0', 'a@5', 'b@10', 'c@10']);
  expect(clock.now()).toBe(20);
});

test('a timer set while firing at the same time runs after those already queued', () => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.schedule(() => {
    fired.push('first');
    clock.schedule(() => fired.push('nested'), 0);
  }, 5);
  clock.schedule(() => fired.push('second'), 5);
  run(clock, 5);
  expect(fired).toEqual(['first', 'second', 'nested']);
});

test('cancelled timers never fire; step reports whether something fired', () => {
  const clock = new ManualClock();
  let n = 0;
  const cancel = clock.schedule(() => n++, 3);
  cancel();
  expect(clock.nextAt()).toBeUndefined();
  expect(clock.step(100)).toBe(false);
  expect(n).toBe(0);
});

test('every fires periodically until cancelled', () => {
  const clock = new ManualClock();
  const at: number[] = [];
  const cancel = clock.every(10, () => at.push(clock.now()));
  run(clock, 35);
  cancel();
  run(clock, 100);
  expect(at).toEqual([10, 20, 30]);
});

test('a member clock skews its interval by its rate, can change rate while running, pauses and dies', () => {
  const base = new ManualClock();
  const slow = new MemberClock(base);
  slow.rate = 2;
  const fast = new MemberClock(base);
  fast.rate = 0.5;
  const ticks = { slow: 0, fast: 0 };
  slow.every(10, () => ticks.slow++);
  fast.every(10, () => ticks.fast++);
  run(base, 100);
  expect(ticks).toEqual({ slow: 5, fast: 20 });
  slow.rate = 1; // takes effect when the timer re-arms: the tick already due at 120 keeps its time
  run(base, 200);
  expect(ticks.slow).toBe(14);
  slow.pause();
  run(base, 300);
  expect(ticks.slow).toBe(14);
  slow.resume();
  run(base, 400);
  expect(ticks.slow).toBe(24);
  slow.kill();
  slow.every(10, () => ticks.slow++);
  run(base, 500);
  expect(ticks.slow).toBe(24);
  expect(slow.now()).toBe(500);
});
