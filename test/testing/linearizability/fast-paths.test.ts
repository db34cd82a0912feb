import { expect, test } from 'vitest';
import {
  checkLinearizable,
  kvModel,
  registerModel,
  type KvInput,
  type KvOutput,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from '../../../src/testing/linearizability/index.js';
import { corruptRead, permutations, registerHistory } from './corpus.js';
import { ok, reg, unknown } from './helpers.js';

const put = (c: number, call: number, ret: number, key: string, value: string): Operation<KvInput, KvOutput> =>
  ok(c, call, ret, { op: 'put', key, value }, { op: 'put' });
const get = (c: number, call: number, ret: number, key: string, value: string | null): Operation<KvInput, KvOutput> =>
  ok(c, call, ret, { op: 'get', key }, { op: 'get', value });

test('fast path: a read of a value nobody wrote is a violation before any search, in whichever partition', () => {
  const history = [...Array.from({ length: 50 }, (_, i) => put(i, 0, 100, 'a', `v${i}`)), put(1, 0, 1, 'b', 'x'), get(2, 2, 3, 'b', 'ghost')];
  const result = checkLinearizable(history, kvModel(), { maxSteps: 0 });
  expect(result).toMatchObject({ ok: false, partitionKey: 'b', steps: 0, counterexample: [history[51]], shrink: { complete: true, to: 1 } });
});

test('fast path: unknown writes whose value nobody reads constrain nothing and cost nothing', () => {
  const writes = Array.from({ length: 200 }, (_, i) => unknown<RegisterInput, RegisterOutput>(i, i, { op: 'write', value: i }));
  const history = [...writes, reg.read(500, 300, 301, null), reg.write(501, 302, 303, 'w'), reg.read(502, 304, 305, 'w')];
  expect(checkLinearizable(history, registerModel(), { maxSteps: 10 })).toMatchObject({ ok: true });
});

test('fast path: an unknown write whose value is read must have happened before the read returned', () => {
  const history = [unknown<RegisterInput, RegisterOutput>(1, 0, { op: 'write', value: 1 }), reg.read(2, 5, 6, 1), reg.write(3, 7, 8, 2), reg.read(4, 9, 10, 2)];
  expect(checkLinearizable(history, registerModel(), { maxSteps: 10 })).toMatchObject({ ok: true });
  // After its value was overwritten and the new value read, it cannot be read again.
  expect(checkLinearizable([...history, reg.read(5, 11, 12, 1)], registerModel()).ok).toBe(false);
});

test('entry order: 22 operations, 20 called at the same instant, get one verdict in every order, within a small budget', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const intact = registerHistory({ seed, clients: 22, operations: 22, sameInstant: 20, unknownRate: 0.2, casRate: 0.2, maxDuration: 30 });
    for (const history of [intact, corruptRead(intact, seed)]) {
      const verdicts = new Set(permutations(history, 6, seed).map((order) => checkLinearizable(order, registerModel(), { maxSteps: 20_000, shrinkSteps: 0 }).ok));
      expect(verdicts.size, `seed ${seed}`).toBe(1);
      expect(verdicts.has('unknown'), `seed ${seed}`).toBe(false);
    }
  }
});
