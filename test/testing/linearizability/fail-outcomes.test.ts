import { expect, test } from 'vitest';
import { checkLinearizable, registerModel, type RegisterInput, type RegisterOutput } from '../../../src/testing/linearizability/index.js';
import { failed, reg } from './helpers.js';

const model = registerModel();
const failedWrite = failed<RegisterInput, RegisterOutput>(1, 0, 1, { op: 'write', value: 1 });

test('fail outcome: a failed write is dropped, so reading the old value is fine', () => {
  expect(checkLinearizable([failedWrite, reg.read(2, 2, 3, null)], model).ok).toBe(true);
});

test('fail outcome: a failed write is dropped, so reading its value fails', () => {
  expect(checkLinearizable([failedWrite, reg.read(2, 2, 3, 1)], model).ok).toBe(false);
});

test('fail outcome: a history of only failed operations is linearizable', () => {
  expect(checkLinearizable([failedWrite], model)).toMatchObject({ ok: true });
});
