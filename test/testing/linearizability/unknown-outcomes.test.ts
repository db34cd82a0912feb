import { expect, test } from 'vitest';
import { checkLinearizable, registerModel, type RegisterInput, type RegisterOutput } from '../../../src/testing/linearizability/index.js';
import { reg, unknown } from './helpers.js';

const model = registerModel();
const timedOutWrite = unknown<RegisterInput, RegisterOutput>(1, 0, { op: 'write', value: 1 });

test('unknown outcome: a later read of the timed-out write is linearizable (it happened)', () => {
  expect(checkLinearizable([timedOutWrite, reg.read(2, 5, 6, 1)], model).ok).toBe(true);
});

test('unknown outcome: a later read of the old value is linearizable (it did not happen, yet)', () => {
  expect(checkLinearizable([timedOutWrite, reg.read(2, 5, 6, null)], model).ok).toBe(true);
});

test('unknown outcome: the write may land late: old value, then new value', () => {
  const history = [timedOutWrite, reg.read(2, 5, 6, null), reg.read(2, 100, 101, 1)];
  expect(checkLinearizable(history, model).ok).toBe(true);
});

test('unknown outcome: once seen, the write cannot be undone', () => {
  const history = [timedOutWrite, reg.read(2, 5, 6, 1), reg.read(2, 7, 8, null)];
  expect(checkLinearizable(history, model).ok).toBe(false);
});

test('unknown outcome: it cannot take effect before its call', () => {
  const late = unknown<RegisterInput, RegisterOutput>(1, 10, { op: 'write', value: 1 });
  expect(checkLinearizable([reg.read(2, 0, 1, 1), late], model).ok).toBe(false);
});

test('unknown outcome: an unknown read constrains nothing', () => {
  const history = [reg.write(1, 0, 1, 1), unknown<RegisterInput, RegisterOutput>(2, 2, { op: 'read' })];
  expect(checkLinearizable(history, model).ok).toBe(true);
});

test('unknown outcome: several timed-out writes, a read of any of them is fine', () => {
  const writes = [1, 2, 3, 4, 5].map((v) => unknown<RegisterInput, RegisterOutput>(v, v, { op: 'write', value: v }));
  for (const v of [null, 1, 2, 3, 4, 5]) {
    expect(checkLinearizable([...writes, reg.read(9, 10, 11, v)], model).ok, `read ${v}`).toBe(true);
  }
  expect(checkLinearizable([...writes, reg.read(9, 10, 11, 6)], model).ok).toBe(false);
});
