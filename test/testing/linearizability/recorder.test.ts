import { expect, test } from 'vitest';
import {
  HistoryRecorder,
  OperationAlreadyCompletedError,
  checkLinearizable,
  registerModel,
  type RegisterInput,
  type RegisterOutput,
} from '../../../src/testing/linearizability/index.js';

test('recorder: the default clock is a counter that orders events as recorded', () => {
  const r = new HistoryRecorder<RegisterInput, RegisterOutput>();
  const a = r.invoke(1, 'write', { op: 'write', value: 1 });
  const b = r.invoke(2, 'read', { op: 'read' });
  a.ok({ op: 'write' });
  b.ok({ op: 'read', value: 1 });
  expect(r.history().map((op) => [op.call, op.return])).toEqual([
    [0, 2],
    [1, 3],
  ]);
  expect(checkLinearizable(r.history(), registerModel()).ok).toBe(true);
});

test('recorder: an injected clock stamps calls and returns', () => {
  let t = 100;
  const r = new HistoryRecorder<RegisterInput, RegisterOutput>({ now: () => (t += 10) });
  r.invoke('a', 'read', { op: 'read' }).ok({ op: 'read', value: null });
  expect(r.history()).toEqual([
    { clientId: 'a', op: 'read', input: { op: 'read' }, call: 110, outcome: 'ok', output: { op: 'read', value: null }, return: 120 },
  ]);
});

test('recorder: fail, unknown and never-completed operations', () => {
  const r = new HistoryRecorder<RegisterInput, RegisterOutput>();
  r.invoke(1, 'write', { op: 'write', value: 1 }).fail('no leader');
  r.invoke(2, 'write', { op: 'write', value: 2 }).unknown();
  r.invoke(3, 'write', { op: 'write', value: 3 });
  const [failed, timedOut, pending] = r.history();
  expect(failed).toMatchObject({ outcome: 'fail', error: 'no leader', call: 0, return: 1 });
  expect(timedOut).toMatchObject({ outcome: 'unknown', return: Infinity });
  expect(pending).toMatchObject({ outcome: 'unknown', return: Infinity });
});

test('recorder: completing an operation twice throws', () => {
  const r = new HistoryRecorder<RegisterInput, RegisterOutput>();
  const h = r.invoke(1, 'read', { op: 'read' });
  h.unknown();
  expect(() => h.ok({ op: 'read', value: null })).toThrow(OperationAlreadyCompletedError);
  expect(() => h.fail()).toThrow(/already completed as 'unknown'/);
  expect(r.history()).toHaveLength(1);
});
