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
import { ok, reg, unknown } from './helpers.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;

/** Writes 1..n by client 1, each followed by a read of it by client 2, with a concurrent unrelated read. */
function healthyPrefix(n: number): RegOp[] {
  const ops: RegOp[] = [];
  for (let v = 1; v <= n; v++) {
    const t = v * 10;
    ops.push(reg.write(1, t, t + 2, v), reg.read(2, t + 3, t + 4, v), reg.read(3, t + 1, t + 5, v));
  }
  return ops;
}

test('counterexample: a stale read after 20 healthy writes shrinks to the 3 operations that matter', () => {
  const staleRead = reg.read(4, 300, 301, 19);
  const history = [...healthyPrefix(20), staleRead, reg.write(1, 302, 303, 21), reg.read(2, 304, 305, 21)];
  const result = checkLinearizable(history, registerModel());
  expect(result.ok).toBe(false);
  if (result.ok !== false) return;
  expect(result.minimal).toBe(true);
  expect(result.culprits).toEqual([staleRead]);
  // Write 19 (what was read), write 20 (what should have been read), and the read.
  expect(result.counterexample).toEqual([reg.write(1, 190, 192, 19), reg.write(1, 200, 202, 20), staleRead]);
  expect(result.explanation).toBe(
    [
      'The history is not linearizable. Smallest failing sub-history: 3 of 63 operations.',
      'These operations can be ordered to respect real time and the model until the one marked * returns',
      '(read -> 19); with its output, no such order exists.',
      '',
      '  client  call  return  operation      timeline',
      '  1        190     192  write 19       [--]',
      '  1        200     202  write 20             [--]',
      '  4        300     301  read -> 19  *              [--]',
      '',
      '  [--] call to return (bars show event order only); [--> unknown outcome, may take effect any time after its call',
    ].join('\n'),
  );
});

test('counterexample: a read of a never-written value is a counterexample on its own', () => {
  const impossible = reg.read(2, 100, 101, 'ghost');
  const result = checkLinearizable([...healthyPrefix(8), impossible], registerModel());
  expect(result).toMatchObject({ ok: false, counterexample: [impossible], culprits: [impossible] });
});

test('counterexample: operations still running at the violation appear as unknown', () => {
  const history = [
    reg.write(1, 0, 1, 'a'),
    reg.write(2, 2, 50, 'b'), // still running when the bad read returns
    reg.read(3, 3, 4, 'b'),
    reg.read(4, 5, 6, 'a'), // 'b' was already visible: going back to 'a' is impossible
  ];
  const result = checkLinearizable(history, registerModel());
  expect(result.ok).toBe(false);
  if (result.ok !== false) return;
  // write "a" stays: without it the read of "a" would be impossible for a different reason.
  expect(result.counterexample.map((op) => [op.call, op.outcome])).toEqual([
    [0, 'ok'],
    [2, 'unknown'],
    [3, 'ok'],
    [5, 'ok'],
  ]);
  expect(result.explanation).toContain('write "b" -> ?');
  expect(result.explanation).toContain('unknown');
  expect(result.explanation).toMatch(/\[-+>/);
});

test('counterexample: uses the model description and names the KV key', () => {
  const history: Operation<KvInput, KvOutput>[] = [
    ok(1, 0, 1, { op: 'put', key: 'user:7', value: 'alice' }, { op: 'put' }),
    unknown(2, 2, { op: 'delete', key: 'user:7' }),
    ok(3, 5, 6, { op: 'get', key: 'user:7' }, { op: 'get', value: null }),
    ok(3, 7, 8, { op: 'get', key: 'user:7' }, { op: 'get', value: 'alice' }),
  ];
  const result = checkLinearizable(history, kvModel());
  expect(result).toMatchObject({ ok: false, partitionKey: 'user:7' });
  if (result.ok !== false) return;
  expect(result.counterexample).toHaveLength(4);
  expect(result.explanation).toContain('Partition "user:7"');
  expect(result.explanation).toContain('get user:7 -> (absent)');
  expect(result.explanation).toContain('delete user:7 -> ?');
});

test('counterexample: shrinkSteps 0 reports the whole failing partition', () => {
  const history = [...healthyPrefix(5), reg.read(4, 300, 301, 1)];
  const result = checkLinearizable(history, registerModel(), { shrinkSteps: 0 });
  expect(result).toMatchObject({ ok: false, minimal: false });
  if (result.ok !== false) return;
  expect(result.counterexample).toHaveLength(history.length);
});
