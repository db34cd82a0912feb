import { expect, test } from 'vitest';
import {
  checkLinearizable,
  kvModel,
  partitionBy,
  type KvInput,
  type KvOutput,
  type Operation,
} from '../../../src/testing/linearizability/index.js';
import { ok } from './helpers.js';

const put = (c: number, call: number, ret: number, key: string, value: string): Operation<KvInput, KvOutput> =>
  ok(c, call, ret, { op: 'put', key, value }, { op: 'put' });
const get = (c: number, call: number, ret: number, key: string, value: string | null): Operation<KvInput, KvOutput> =>
  ok(c, call, ret, { op: 'get', key }, { op: 'get', value });

test('kv partitioning: each key is a partition, in order of first appearance', () => {
  const history = [put(1, 0, 1, 'b', '1'), put(1, 2, 3, 'a', '2'), get(2, 4, 5, 'b', '1'), get(2, 6, 7, 'c', null)];
  expect(checkLinearizable(history, kvModel())).toMatchObject({ ok: true, partitions: 3 });
  expect(partitionBy(history, (input) => input.key).map((p) => [p.key, p.operations.length])).toEqual([
    ['b', 2],
    ['a', 1],
    ['c', 1],
  ]);
});

test('kv partitioning: keys are independent (a value of another key is not visible)', () => {
  const history = [put(1, 0, 1, 'a', 'x'), get(2, 2, 3, 'b', 'x')];
  expect(checkLinearizable(history, kvModel())).toMatchObject({ ok: false, partitionKey: 'b' });
});

test('kv partitioning: the failing partition is reported, the others pass', () => {
  const history = [
    put(1, 0, 1, 'a', '1'),
    get(2, 2, 3, 'a', '1'),
    put(1, 4, 5, 'b', '1'),
    put(1, 6, 7, 'b', '2'),
    get(2, 8, 9, 'b', '1'),
  ];
  const result = checkLinearizable(history, kvModel());
  expect(result).toMatchObject({ ok: false, partitionKey: 'b' });
  if (result.ok !== false) return;
  expect(result.counterexample.every((op) => op.input.key === 'b')).toBe(true);
  expect(result.explanation).toContain('Partition "b"');
});

test('kv partitioning: get, put and delete semantics', () => {
  const del = (c: number, call: number, ret: number, key: string, deleted: boolean): Operation<KvInput, KvOutput> =>
    ok(c, call, ret, { op: 'delete', key }, { op: 'delete', deleted });
  const good = [get(1, 0, 1, 'k', null), put(1, 2, 3, 'k', 'v'), del(1, 4, 5, 'k', true), del(1, 6, 7, 'k', false), get(1, 8, 9, 'k', null)];
  expect(checkLinearizable(good, kvModel()).ok).toBe(true);
  const bad = [put(1, 0, 1, 'k', 'v'), del(1, 2, 3, 'k', false)];
  expect(checkLinearizable(bad, kvModel()).ok).toBe(false);
});
