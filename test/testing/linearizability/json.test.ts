import { expect, test } from 'vitest';
import {
  checkLinearizable,
  HistoryFormatError,
  HistoryRecorder,
  historyFromJSON,
  historyToJSON,
  kvModel,
  type KvInput,
  type KvOutput,
} from '../../../src/testing/linearizability/index.js';
import { simulateKv } from './helpers.js';

test('json: round trip keeps ok and unknown operations and drops failed ones', () => {
  const history = simulateKv({ seed: 3, clients: 4, operations: 200, keys: 2, unknownRate: 0.05, failRate: 0.05 });
  const text = JSON.stringify(historyToJSON(history));
  const back = historyFromJSON<KvInput, KvOutput>(text);
  expect(back).toEqual(history.filter((op) => op.outcome !== 'fail'));
  expect(checkLinearizable(back, kvModel()).ok).toBe(true);
});

test('json: the format is the plain { clientId, op, input, output, call, return } array', () => {
  const recorder = new HistoryRecorder<KvInput, KvOutput>();
  recorder.invoke('c1', 'put', { op: 'put', key: 'x', value: '1' }).ok({ op: 'put' });
  recorder.invoke(2, 'get', { op: 'get', key: 'x' }).unknown();
  recorder.invoke(3, 'get', { op: 'get', key: 'x' }).fail(new Error('refused'));
  expect(JSON.parse(JSON.stringify(recorder))).toEqual([
    { clientId: 'c1', op: 'put', input: { op: 'put', key: 'x', value: '1' }, output: { op: 'put' }, call: 0, return: 1 },
    { clientId: 2, op: 'get', input: { op: 'get', key: 'x' }, output: null, call: 2, return: null },
  ]);
});

test('json: reads an already-parsed array', () => {
  const ops = historyFromJSON([{ clientId: 1, op: 'read', input: { op: 'read' }, output: null, call: 1, return: 2 }]);
  expect(ops).toEqual([{ clientId: 1, op: 'read', input: { op: 'read' }, output: null, call: 1, return: 2, outcome: 'ok' }]);
});

const good = { clientId: 1, op: 'put', input: {}, output: {}, call: 1, return: 2 };

test.each([
  { name: 'not JSON', json: '[{', wantIndex: -1, wantField: '', wantMessage: 'history: not valid JSON' },
  { name: 'not an array', json: { ...good }, wantIndex: -1, wantField: '', wantMessage: 'history: expected a JSON array' },
  { name: 'entry not an object', json: [good, 7], wantIndex: 1, wantField: '', wantMessage: 'history[1]: expected an object' },
  { name: 'bad clientId', json: [good, { ...good, clientId: true }], wantIndex: 1, wantField: 'clientId', wantMessage: 'history[1].clientId' },
  { name: 'missing op', json: [{ ...good, op: undefined }], wantIndex: 0, wantField: 'op', wantMessage: 'history[0].op' },
  { name: 'missing input', json: [{ clientId: 1, op: 'x', output: 1, call: 1, return: 2 }], wantIndex: 0, wantField: 'input', wantMessage: 'history[0].input' },
  { name: 'missing output', json: [{ clientId: 1, op: 'x', input: 1, call: 1, return: 2 }], wantIndex: 0, wantField: 'output', wantMessage: 'history[0].output' },
  { name: 'call as string', json: [good, good, { ...good, call: '1' }], wantIndex: 2, wantField: 'call', wantMessage: 'history[2].call' },
  { name: 'return as string', json: [{ ...good, return: '2' }], wantIndex: 0, wantField: 'return', wantMessage: 'history[0].return' },
  { name: 'return before call', json: [{ ...good, call: 5, return: 2 }], wantIndex: 0, wantField: 'return', wantMessage: 'is before call' },
])('json: malformed input is refused with the bad index and field ($name)', ({ json, wantIndex, wantField, wantMessage }) => {
  let caught: unknown;
  try {
    historyFromJSON(json);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HistoryFormatError);
  const err = caught as HistoryFormatError;
  expect(err.code).toBe('ERR_HISTORY_FORMAT');
  expect(err.index).toBe(wantIndex);
  expect(err.field).toBe(wantField);
  expect(err.message).toContain(wantMessage);
});

test('json: checkLinearizable refuses hand-built malformed histories too', () => {
  const bad = [{ clientId: 1, op: 'read', input: { op: 'read' }, call: 3, return: 1, outcome: 'ok', output: null }] as const;
  expect(() => checkLinearizable(bad, kvModel() as never)).toThrow(HistoryFormatError);
});
