import { expect, test } from 'vitest';
import { checkLinearizable, HistoryFormatError, kvModel, type KvInput, type KvOutput, type Operation } from '../../../src/testing/linearizability/index.js';
import { splitHistory } from '../../../src/testing/linearizability/split.js';
import { simulateKv } from './helpers.js';

const history = simulateKv({ seed: 9, clients: 4, operations: 300, keys: 3, unknownRate: 0.05, failRate: 0.05 });

test('split: with partitionKey, the history is split by key in one pass, like partition, without calling it', () => {
  const model = kvModel();
  const viaPartition = model.partition!(history.filter((op) => op.outcome !== 'fail'));
  let called = 0;
  const split = splitHistory(history, { ...model, partition: (ops) => (called++, model.partition!(ops)) });
  expect(called).toBe(0);
  expect(split.map(({ key, operations }) => ({ key, operations }))).toEqual(viaPartition.map(({ key, operations }) => ({ key, operations })));
  // The quick pass's operations: all but the failed ones and the unknown reads.
  for (const part of split) {
    const expected = part.operations.filter((op) => op.outcome === 'ok' || op.input.op !== 'get').length;
    expect(part.search).toHaveLength(expected);
  }
});

test('split: a model with partitionKey gets the same verdicts as one with partition only', () => {
  const withoutKey = kvModel();
  delete withoutKey.partitionKey;
  for (const h of [history, [...history].reverse()]) {
    expect(checkLinearizable(h, kvModel())).toMatchObject({ ok: true, partitions: 3 });
    expect(checkLinearizable(h, withoutKey)).toMatchObject({ ok: true, partitions: 3 });
  }
});

test('split: the first malformed operation in history order is reported, whatever its partition', () => {
  const bad = [...history] as Operation<KvInput, KvOutput>[];
  bad[200] = { ...bad[200]!, call: NaN };
  bad[250] = { ...bad[250]!, call: NaN };
  expect(() => checkLinearizable(bad, kvModel())).toThrow(HistoryFormatError);
  expect(() => checkLinearizable(bad, kvModel())).toThrow(/200/);
});
