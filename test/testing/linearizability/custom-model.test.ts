import { expect, test } from 'vitest';
import { checkLinearizable, type Model, type Operation } from '../../../src/testing/linearizability/index.js';

// A FIFO queue: a user-defined model with a non-primitive state, an `equal`, and no partitioning.
type QueueInput = { op: 'enqueue'; value: number } | { op: 'dequeue' };
type QueueOutput = { op: 'enqueue' } | { op: 'dequeue'; value: number | null };
const queueModel: Model<readonly number[], QueueInput, QueueOutput> = {
  init: () => [],
  step(state, input, output) {
    if (input.op === 'enqueue') return { ok: true, state: [...state, input.value] };
    const head = state[0] ?? null;
    if (output !== undefined && (output.op !== 'dequeue' || output.value !== head)) return { ok: false };
    return { ok: true, state: state.slice(1) };
  },
  hash: (state) => state.join(','),
  equal: (a, b) => a.length === b.length && a.every((v, i) => v === b[i]),
  describeOperation: (input, output) =>
    input.op === 'enqueue' ? `enqueue ${input.value}` : `dequeue -> ${output?.op === 'dequeue' ? String(output.value) : '?'}`,
};

function op(clientId: number, call: number, ret: number, input: QueueInput, output: QueueOutput): Operation<QueueInput, QueueOutput> {
  return { clientId, op: input.op, input, output, call, return: ret, outcome: 'ok' };
}

test('custom model: concurrent enqueues may be dequeued in either order', () => {
  const history = [
    op(1, 0, 5, { op: 'enqueue', value: 1 }, { op: 'enqueue' }),
    op(2, 1, 6, { op: 'enqueue', value: 2 }, { op: 'enqueue' }),
    op(3, 7, 8, { op: 'dequeue' }, { op: 'dequeue', value: 2 }),
    op(3, 9, 10, { op: 'dequeue' }, { op: 'dequeue', value: 1 }),
  ];
  expect(checkLinearizable(history, queueModel).ok).toBe(true);
});

test('custom model: FIFO order violated by sequential enqueues fails, using describeOperation', () => {
  const history = [
    op(1, 0, 1, { op: 'enqueue', value: 1 }, { op: 'enqueue' }),
    op(1, 2, 3, { op: 'enqueue', value: 2 }, { op: 'enqueue' }),
    op(3, 4, 5, { op: 'dequeue' }, { op: 'dequeue', value: 2 }),
  ];
  const result = checkLinearizable(history, queueModel);
  expect(result.ok).toBe(false);
  if (result.ok !== false) return;
  expect(result.counterexample).toHaveLength(3);
  expect(result.explanation).toContain('dequeue -> 2  *');
});

test('custom model: hash collisions are resolved by equal', () => {
  // A deliberately bad hash that maps every state to the same string: `equal` keeps the search exact.
  const colliding = { ...queueModel, hash: () => 'same' };
  const history = [
    op(1, 0, 5, { op: 'enqueue', value: 1 }, { op: 'enqueue' }),
    op(2, 1, 6, { op: 'enqueue', value: 2 }, { op: 'enqueue' }),
    op(3, 7, 8, { op: 'dequeue' }, { op: 'dequeue', value: 2 }),
  ];
  expect(checkLinearizable(history, colliding).ok).toBe(true);
});
