import { expect, test } from 'vitest';
import {
  checkLinearizable,
  HistoryFormatError,
  kvModel,
  partitionBy,
  type KvInput,
  type KvOutput,
  type KvState,
  type Model,
  type Operation,
} from '../../../src/testing/linearizability/index.js';
import { splitHistory } from '../../../src/testing/linearizability/split.js';
import { simulateKv } from './helpers.js';

const history = simulateKv({ seed: 9, clients: 4, operations: 300, keys: 3, unknownRate: 0.05, failRate: 0.05 });

test('split: with partitionKey, the history is split by key in one pass, as partitionBy does, without calling partition', () => {
  const model = kvModel();
  const keyOf = (input: KvInput): string => model.partitionKey!(input);
  const viaPartition = partitionBy(history.filter((op) => op.outcome !== 'fail'), keyOf);
  let called = 0;
  const split = splitHistory(history, { ...model, partition: (ops) => (called++, partitionBy(ops, keyOf)) });
  expect(called).toBe(0);
  expect(split.map(({ key, operations }) => ({ key, operations }))).toEqual(viaPartition.map(({ key, operations }) => ({ key, operations })));
  // The quick pass's operations: all but the failed ones and the unknown reads.
  for (const part of split) {
    const expected = part.operations.filter((op) => op.outcome === 'ok' || op.input.op !== 'get').length;
    expect(part.search).toHaveLength(expected);
  }
});

test('split: a model with partitionKey gets the same results as one with the same partition only', () => {
  const model = kvModel();
  const withoutKey: Model<KvState, KvInput, KvOutput> = { ...model, partition: (ops) => partitionBy(ops, (input) => model.partitionKey!(input)) };
  delete withoutKey.partitionKey;
  const stale = [...history, { clientId: 9, op: 'get', input: { op: 'get', key: 'k0' }, call: 1e9, return: 1e9 + 1, outcome: 'ok', output: { op: 'get', value: 'never' } }] as const;
  for (const h of [history, [...history].reverse(), stale]) {
    expect(checkLinearizable(h, withoutKey)).toEqual(checkLinearizable(h, kvModel()));
  }
  expect(checkLinearizable(history, kvModel())).toMatchObject({ ok: true, partitions: 3 });
  expect(checkLinearizable(stale, kvModel())).toMatchObject({ ok: false, partitionKey: 'k0' });
});

test('split: the first malformed operation in history order is reported, whatever its partition', () => {
  const bad = [...history] as Operation<KvInput, KvOutput>[];
  bad[200] = { ...bad[200]!, call: NaN };
  bad[250] = { ...bad[250]!, call: NaN };
  expect(() => checkLinearizable(bad, kvModel())).toThrow(HistoryFormatError);
  expect(() => checkLinearizable(bad, kvModel())).toThrow(/200/);
});
