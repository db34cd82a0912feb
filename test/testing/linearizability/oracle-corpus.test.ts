import { expect, test } from 'vitest';
import { SeededRng } from '../../../src/raft/rng.js';
import { SearchBudget } from '../../../src/testing/linearizability/budget.js';
import { checkLinearizable, kvModel, registerModel, type CheckResult, type Model, type Operation } from '../../../src/testing/linearizability/index.js';
import { toSearchOperation } from '../../../src/testing/linearizability/operation.js';
import { quickLinearizable } from '../../../src/testing/linearizability/quick.js';
import { searchLinearization } from '../../../src/testing/linearizability/search.js';
import { corruptRead, permutations, registerHistory, type RegisterHistoryOptions } from './corpus.js';
import { simulateKv } from './helpers.js';

/**
 * The naive oracle for any model: every subset of the unknown operations, every order
 * that respects real time (a before b when a returned strictly before b was called),
 * replayed with the model's own `step` (none of the checker's simplifications).
 */
function bruteForce<S, I, O>(history: readonly Operation<I, O>[], model: Model<S, I, O>): boolean {
  const live = history.filter((op) => op.outcome !== 'fail');
  const maybe = live.filter((op) => op.outcome === 'unknown');
  const sure = live.filter((op) => op.outcome === 'ok');
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = [...sure, ...maybe.filter((_, i) => (mask & (1 << i)) !== 0)];
    if (someOrder(model, chosen, model.init())) return true;
  }
  return false;
}

function someOrder<S, I, O>(model: Model<S, I, O>, left: readonly Operation<I, O>[], state: S): boolean {
  if (left.length === 0) return true;
  return left.some((op, i) => {
    const rest = left.filter((_, j) => j !== i);
    if (rest.some((other) => other.outcome === 'ok' && other.return < op.call)) return false;
    const result = model.step(state, op.input, op.outcome === 'ok' ? op.output : undefined);
    return result.ok && someOrder(model, rest, result.state);
  });
}

/**
 * Checks one entry order of a history whose brute-force verdict is `want`: the checker's
 * verdict, and each of its two paths on its own (the quick pass may only ever say
 * "linearizable" when it is; the full search, with the model's simplification, over the
 * whole unpartitioned history, must agree).
 */
function expectVerdict<S, I, O>(order: readonly Operation<I, O>[], model: Model<S, I, O>, want: boolean, label: string): CheckResult<I, O> {
  const result = checkLinearizable(order, model);
  expect(result.ok, label).toBe(want);
  const live = order.filter((op) => op.outcome !== 'fail');
  if (quickLinearizable(model, live, new SearchBudget(Infinity))) expect(want, `${label} (quick pass)`).toBe(true);
  const full = searchLinearization(model, live.map(toSearchOperation), new SearchBudget(Infinity)).outcome;
  expect(full, `${label} (full search)`).toBe(want ? 'linearizable' : 'violation');
  return result;
}

type Shape = Omit<RegisterHistoryOptions, 'seed'>;

const REGISTER_SHAPES: Record<string, Shape> = {
  'same-instant': { clients: 7, operations: 7, sameInstant: 5, unknownRate: 0.2, casRate: 0.3, maxDuration: 6 },
  'unknown-heavy': { clients: 3, operations: 7, unknownRate: 0.4, casRate: 0.3, maxDuration: 5 },
  'hot-register': { clients: 4, operations: 7, unknownRate: 0.1, casRate: 0.3, failRate: 0.1, maxDuration: 8 },
};

test.each(Object.entries(REGISTER_SHAPES))('oracle corpus: %s register histories, intact and corrupted, in 4 entry orders each', (_, shape) => {
  const model = registerModel();
  const verdicts = { true: 0, false: 0 };
  for (let seed = 1; seed <= 150; seed++) {
    const intact = registerHistory({ seed, ...shape });
    for (const history of [intact, corruptRead(intact, seed)]) {
      const want = bruteForce(history, model);
      verdicts[`${want}`]++;
      for (const [k, order] of permutations(history, 4, seed).entries()) {
        const result = expectVerdict(order, model, want, `seed ${seed} order ${k}: ${JSON.stringify(order)}`);
        if (result.ok === false) expect(bruteForce(result.counterexample, model), `seed ${seed} counterexample`).toBe(false);
      }
    }
  }
  expect(verdicts.true).toBeGreaterThan(100);
  expect(verdicts.false).toBeGreaterThan(20);
});

test('oracle corpus: small KV histories (put, get, delete, cas, txn; unknown outcomes), intact and corrupted, in 4 entry orders each', () => {
  const model = kvModel();
  const rng = new SeededRng(77);
  const verdicts = { true: 0, false: 0 };
  for (let seed = 1; seed <= 250; seed++) {
    const intact = simulateKv({ seed, clients: 2 + rng.nextInt(3), operations: 6, keys: 1 + rng.nextInt(2), unknownRate: 0.3, failRate: 0.1 });
    for (const history of [intact, corruptRead(intact, seed)]) {
      const want = bruteForce(history, model);
      verdicts[`${want}`]++;
      for (const [k, order] of permutations(history, 4, seed).entries()) {
        expectVerdict(order, model, want, `seed ${seed} order ${k}: ${JSON.stringify(order)}`);
      }
    }
  }
  expect(verdicts.true).toBeGreaterThan(200);
  expect(verdicts.false).toBeGreaterThan(20);
});

test('oracle corpus: values written twice (no unique writer), with unknown outcomes, in 4 entry orders each', () => {
  const model = registerModel();
  const rng = new SeededRng(5);
  let failing = 0;
  for (let i = 0; i < 600; i++) {
    const history = Array.from({ length: 1 + rng.nextInt(6) }, (_, c): Operation<Parameters<typeof model.step>[1], NonNullable<Parameters<typeof model.step>[2]>> => {
      const call = rng.nextInt(8);
      const ret = call + rng.nextInt(5);
      const value = rng.nextInt(3);
      const kind = rng.nextInt(3);
      const input = kind === 0 ? { op: 'read' as const } : kind === 1 ? { op: 'write' as const, value } : { op: 'cas' as const, expected: rng.nextInt(2) === 0 ? null : value - 1, value };
      if (rng.nextInt(4) === 0) return { clientId: c, op: input.op, input, call, return: Infinity, outcome: 'unknown' };
      const output =
        input.op === 'read' ? { op: 'read' as const, value: rng.nextInt(4) === 0 ? null : value } : input.op === 'write' ? { op: 'write' as const } : { op: 'cas' as const, swapped: rng.nextInt(2) === 0 };
      return { clientId: c, op: input.op, input, call, return: ret, outcome: 'ok', output };
    });
    const want = bruteForce(history, model);
    if (!want) failing++;
    for (const [k, order] of permutations(history, 4, i).entries()) {
      expectVerdict(order, model, want, `case ${i} order ${k}: ${JSON.stringify(order)}`);
    }
  }
  expect(failing).toBeGreaterThan(50);
});
