import { expect, test } from 'vitest';
import { AbortPool } from '../../src/etcd/abort-pool.js';

// Unary calls' cancel signals reuse their controllers: only one that was never aborted and that
// nobody listens to any more may be handed to another call.
test('a controller given back unaborted and unlistened is taken again', () => {
  const pool = new AbortPool(4);
  const c = pool.take();
  const listener = (): void => undefined;
  c.signal.addEventListener('abort', listener, { once: true });
  c.signal.removeEventListener('abort', listener);
  pool.give(c);
  expect(pool.size).toBe(1);
  expect(pool.take()).toBe(c);
  expect(c.signal.aborted).toBe(false);
});

test.each([
  { name: 'aborted', use: (c: AbortController) => c.abort(new Error('canceled')) },
  { name: 'still listened to', use: (c: AbortController) => c.signal.addEventListener('abort', () => undefined) },
])('a controller given back $name is dropped', ({ use }) => {
  const pool = new AbortPool(4);
  const c = pool.take();
  use(c);
  pool.give(c);
  expect(pool.size).toBe(0);
  expect(pool.take()).not.toBe(c);
});

test('the stock is bounded', () => {
  const pool = new AbortPool(2);
  for (let i = 0; i < 5; i++) pool.give(new AbortController());
  expect(pool.size).toBe(2);
});
