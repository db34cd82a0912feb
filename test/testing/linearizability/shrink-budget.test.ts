import { expect, test } from 'vitest';
import { checkLinearizable, kvModel, registerModel, type Operation, type RegisterInput, type RegisterOutput } from '../../../src/testing/linearizability/index.js';
import { corruptRead } from './corpus.js';
import { reg, simulateKv } from './helpers.js';

/** Writes 1..n by client 1, each read back by client 2, then a stale read of value 1. */
function staleAfter(n: number): Operation<RegisterInput, RegisterOutput>[] {
  const ops: Operation<RegisterInput, RegisterOutput>[] = [];
  for (let v = 1; v <= n; v++) ops.push(reg.write(1, v * 10, v * 10 + 2, v), reg.read(2, v * 10 + 3, v * 10 + 4, v));
  return [...ops, reg.read(3, n * 10 + 20, n * 10 + 21, 1)];
}

test('shrink: a complete shrink reports its steps and sizes', () => {
  const result = checkLinearizable(staleAfter(10), registerModel());
  expect(result).toMatchObject({ ok: false, minimal: true, shrink: { complete: true, from: 21, to: 3 } });
  expect(result.ok === false && result.shrink.steps).toBeGreaterThan(0);
});

test('shrink: out of shrink steps, the verdict stands with the best counterexample so far', () => {
  const result = checkLinearizable(staleAfter(10), registerModel(), { shrinkSteps: 30 });
  expect(result).toMatchObject({ ok: false, minimal: false, shrink: { complete: false, from: 21 } });
  if (result.ok !== false) return;
  expect(result.shrink.steps).toBeLessThanOrEqual(30 + 21);
  // Still a counterexample: non-linearizable on its own.
  expect(checkLinearizable(result.counterexample, registerModel(), { shrinkSteps: 0 }).ok).toBe(false);
});

test('shrink: a shrink time limit stops shrinking, not the verdict (injected clock)', () => {
  let t = 0;
  const result = checkLinearizable(staleAfter(10), registerModel(), { shrinkTimeLimit: 3, now: () => t++ });
  expect(result).toMatchObject({ ok: false, shrink: { complete: false } });
});

test('shrink: its budget is its own: a maxSteps that only covers the search still gives a shrunk counterexample', () => {
  const history = staleAfter(10);
  const steps = checkLinearizable(history, registerModel(), { shrinkSteps: 0 }).steps;
  const result = checkLinearizable(history, registerModel(), { maxSteps: steps });
  expect(result).toMatchObject({ ok: false, minimal: true, counterexample: { length: 3 } });
});

test('shrink: shrinkSteps 0 does not shrink (the counterexample is at most the failing partition)', () => {
  const history = [...staleAfter(4), reg.write(1, 100, 101, 9), reg.read(2, 102, 103, 9)];
  const result = checkLinearizable(history, registerModel(), { shrinkSteps: 0 });
  expect(result).toMatchObject({ ok: false, minimal: false, shrink: { complete: false } });
  if (result.ok !== false) return;
  expect(result.shrink.to).toBe(result.shrink.from);
  expect(result.counterexample.length).toBeGreaterThanOrEqual(9);
  expect(checkLinearizable(result.counterexample, registerModel()).ok).toBe(false);
});

test('shrink: a stale read late in a 2 000-operation KV history shrinks, within the default budget', () => {
  const history = corruptRead(simulateKv({ seed: 3, clients: 8, operations: 2000, keys: 2, unknownRate: 0.02, failRate: 0.02 }), 3, { after: 0.5 });
  const result = checkLinearizable(history, kvModel());
  expect(result).toMatchObject({ ok: false, minimal: true });
  if (result.ok !== false) return;
  expect(result.counterexample.length).toBeLessThanOrEqual(6);
  expect(checkLinearizable(result.counterexample, kvModel()).ok).toBe(false);
});
