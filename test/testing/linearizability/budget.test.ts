import { expect, test } from 'vitest';
import {
  checkLinearizable,
  registerModel,
  type Model,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from '../../../src/testing/linearizability/index.js';
import { reg, unknown } from './helpers.js';

/**
 * The register model without its simplifications, so that the impossible read below is
 * found by searching (the full model proves it impossible without a search).
 */
const full = registerModel();
const plain: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  init: () => full.init(),
  step: (state, input, output) => full.step(state, input, output),
  hash: (state) => full.hash(state),
};

/** Many concurrent timed-out writes and impossible reads: a search that must explore a lot before failing. */
function hardHistory(): ReturnType<typeof reg.read>[] {
  const writes = Array.from({ length: 14 }, (_, i) => unknown<RegisterInput, RegisterOutput>(i, 0, { op: 'write', value: i }));
  return [...writes, reg.read(20, 1, 2, 0), reg.read(21, 3, 4, 99)];
}

test('budget: maxSteps exceeded gives ok: unknown with the reason and partition', () => {
  const result = checkLinearizable(hardHistory(), plain, { maxSteps: 50 });
  expect(result).toMatchObject({ ok: 'unknown', reason: 'max-steps', partitionKey: '', partitionsChecked: 0 });
});

test('budget: time limit exceeded gives ok: unknown (injected clock, no real time)', () => {
  let t = 0;
  const result = checkLinearizable(hardHistory(), plain, { timeLimit: 5, now: () => t++ });
  expect(result).toMatchObject({ ok: 'unknown', reason: 'time-limit' });
});

test('budget: without limits the same history gets a verdict', () => {
  const result = checkLinearizable(hardHistory(), registerModel());
  expect(result.ok).toBe(false);
  expect(result.ok === false && result.culprits.length).toBe(1);
});

test('budget: the full register model proves the same history non-linearizable within the budget the plain search exhausts', () => {
  // The quick pass (a plain search) runs out of its share of the 50 steps; the model's simplification then needs none.
  expect(checkLinearizable(hardHistory(), registerModel(), { maxSteps: 50 })).toMatchObject({ ok: false });
  expect(checkLinearizable(hardHistory(), registerModel(), { maxSteps: 0 })).toMatchObject({ ok: false, steps: 0 });
});

test('budget: a generous budget does not change a linearizable verdict', () => {
  const history = [reg.write(1, 0, 1, 1), reg.read(2, 2, 3, 1)];
  expect(checkLinearizable(history, registerModel(), { maxSteps: 1000, timeLimit: 60_000 })).toMatchObject({ ok: true, steps: 2 });
});
