import { expect, test } from 'vitest';
import { SearchBudget } from '../../../src/testing/linearizability/budget.js';
import { checkLinearizable, registerModel, type RegisterInput, type RegisterOutput } from '../../../src/testing/linearizability/index.js';
import type { SearchOperation } from '../../../src/testing/linearizability/operation.js';
import { quickLinearizable, sortByCall } from '../../../src/testing/linearizability/quick.js';
import { SeededRng } from '../../../src/raft/rng.js';
import { corruptRead, registerHistory } from './corpus.js';
import { reg, unknown } from './helpers.js';

const easy = registerHistory({ seed: 3, clients: 4, operations: 300, unknownRate: 0.02, casRate: 0.2 });

test('quick pass: an easy linearizable history is decided within about six steps per operation', () => {
  const budget = new SearchBudget(Infinity);
  expect(quickLinearizable(registerModel(), easy, budget)).toBe(true);
  expect(budget.steps).toBeGreaterThan(0);
  expect(budget.steps).toBeLessThanOrEqual(6 * easy.length + 64);
  // The whole check then needs nothing more.
  expect(checkLinearizable(easy, registerModel())).toMatchObject({ ok: true, steps: budget.steps });
});

test('quick pass: a non-linearizable history is never decided, whatever the allowance', () => {
  const stale = corruptRead(easy, 3);
  expect(checkLinearizable(stale, registerModel()).ok).toBe(false);
  expect(quickLinearizable(registerModel(), stale, new SearchBudget(Infinity))).toBe(false);
});

test('quick pass: it stops at its allowance, or at what is left of the budget, and charges what it used', () => {
  // 14 concurrent unknown writes and a read no order explains: the plain search explores all subsets.
  const hard = [...Array.from({ length: 14 }, (_, i) => unknown<RegisterInput, RegisterOutput>(i, 0, { op: 'write', value: i })), reg.read(20, 1, 2, 0), reg.read(21, 3, 4, 99)];
  const whole = new SearchBudget(Infinity);
  expect(quickLinearizable(registerModel(), hard, whole)).toBe(false);
  expect(whole.steps).toBeLessThanOrEqual(6 * hard.length + 64 + 1);
  const small = new SearchBudget(10);
  expect(quickLinearizable(registerModel(), hard, small)).toBe(false);
  expect(small.steps).toBeLessThanOrEqual(11);
  const none = new SearchBudget(0);
  expect(quickLinearizable(registerModel(), easy, none)).toBe(false);
  expect(none.steps).toBe(0);
});

test('quick pass: operations listed out of call order are searched in call order', () => {
  // The unknown write of 1 (called at 0) is listed after one called later than the read of 1 returns.
  const late = unknown<RegisterInput, RegisterOutput>(5, 20, { op: 'write', value: 5 });
  const early = unknown<RegisterInput, RegisterOutput>(1, 0, { op: 'write', value: 1 });
  const history = [late, early, reg.read(2, 5, 6, 1), reg.write(3, 7, 8, 2), reg.read(4, 9, 10, 2)];
  expect(quickLinearizable(registerModel(), history, new SearchBudget(Infinity))).toBe(true);
  expect(quickLinearizable(registerModel(), [...history].reverse(), new SearchBudget(Infinity))).toBe(true);
});

test('quick pass: sortByCall orders by call time, equal times as listed, as a stable comparator sort does', () => {
  const rng = new SeededRng(14);
  for (let round = 0; round < 200; round++) {
    const n = rng.nextInt(40);
    // Few distinct times, so that ties are common; -0 and 0 are the same time.
    const times = [0, -0, 1, 2.5, -3, 1e9, 7];
    const ops: SearchOperation<number, undefined>[] = Array.from({ length: n }, (_, i) => ({
      input: i,
      output: undefined,
      call: times[rng.nextInt(round % 2 === 0 ? 3 : times.length)]!,
      return: 1e10,
      required: true,
    }));
    const expected = [...ops].sort((a, b) => a.call - b.call);
    sortByCall(ops);
    expect(ops.map((op) => op.input)).toEqual(expected.map((op) => op.input));
  }
});
