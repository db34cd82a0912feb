import { expect, test } from 'vitest';
import {
  checkLinearizable,
  kvModel,
  registerModel,
  type Model,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from '../../../src/testing/linearizability/index.js';
import { releaseScratch, Scratch, takeScratch } from '../../../src/testing/linearizability/scratch.js';
import { reg, simulateKv } from './helpers.js';

test('scratch: views have the length asked for; zeroed ones are zero even after a dirty use', () => {
  const scratch = new Scratch();
  scratch.zeroUint8(0, 100).fill(7);
  scratch.zeroUint32(0, 100).fill(7);
  expect([...scratch.zeroUint8(0, 50)]).toEqual(new Array<number>(50).fill(0));
  expect([...scratch.zeroUint32(0, 50)]).toEqual(new Array<number>(50).fill(0));
  expect(scratch.int32(3, 1000)).toHaveLength(1000);
  expect(scratch.float64(1, 0)).toHaveLength(0);
  // Different slots never share memory.
  const a = scratch.int32(0, 10).fill(1);
  scratch.int32(1, 10).fill(2);
  expect([...a]).toEqual(new Array<number>(10).fill(1));
});

test('scratch: a slot asked for the length it gave last hands out the same view again, zeroed when asked', () => {
  const scratch = new Scratch();
  const a = scratch.int32(2, 30);
  expect(scratch.int32(2, 30)).toBe(a);
  expect(scratch.int32(2, 31)).not.toBe(a);
  const z = scratch.zeroUint8(1, 20);
  z.fill(5);
  expect(scratch.zeroUint8(1, 20)).toBe(z);
  expect([...z]).toEqual(new Array<number>(20).fill(0));
  // Past the pooled size, a fresh array every time.
  expect(scratch.float64(0, 1 << 15)).not.toBe(scratch.float64(0, 1 << 15));
});

test('scratch: a scratch lent out is not lent again until given back', () => {
  const first = takeScratch();
  const second = takeScratch();
  expect(second).not.toBe(first);
  releaseScratch(first);
  expect(takeScratch()).toBe(first);
  releaseScratch(first);
});

test('scratch: checks of different sizes in turn give the same results as each alone', () => {
  const big = simulateKv({ seed: 5, clients: 6, operations: 600, keys: 2, unknownRate: 0.05 });
  const small = simulateKv({ seed: 6, clients: 3, operations: 40, keys: 1, unknownRate: 0.1 });
  const stale = [reg.write(1, 0, 1, 1), reg.write(1, 2, 3, 2), reg.read(2, 4, 5, 1)];
  const first = [checkLinearizable(big, kvModel()), checkLinearizable(small, kvModel()), checkLinearizable(stale, registerModel())];
  const again = [checkLinearizable(stale, registerModel()), checkLinearizable(small, kvModel()), checkLinearizable(big, kvModel())].reverse();
  expect(again).toEqual(first);
  expect(first.map((r) => r.ok)).toEqual([true, true, false]);
});

test('scratch: a model that checks a history inside step does not disturb the outer search', () => {
  const register = registerModel();
  const inner = [reg.write(1, 0, 1, 1), reg.write(1, 2, 3, 2), reg.read(2, 4, 5, 1)];
  const verdicts: unknown[] = [];
  const nesting: Model<RegisterValue, RegisterInput, RegisterOutput> = {
    init: () => register.init(),
    hash: (state) => register.hash(state),
    step: (state, input, output) => {
      verdicts.push(checkLinearizable(inner, register).ok);
      return register.step(state, input, output);
    },
  };
  const outer = [reg.write(1, 0, 10, 1), reg.write(2, 1, 11, 2), reg.read(3, 12, 13, 1), reg.read(4, 14, 15, 1)];
  expect(checkLinearizable(outer, nesting)).toEqual(checkLinearizable(outer, register));
  expect(verdicts.length).toBeGreaterThan(0);
  expect(new Set(verdicts)).toEqual(new Set([false]));
});
