import { expect, test } from 'vitest';
import {
  checkLinearizable,
  kvModel,
  type KvInput,
  type KvOutput,
  type KvTxnOpResult,
  type Operation,
} from '../../../src/testing/linearizability/index.js';
import { ok, unknown } from './helpers.js';

type Op = Operation<KvInput, KvOutput>;
const put = (call: number, value: string): Op => ok(1, call, call + 1, { op: 'put', key: 'k', value }, { op: 'put' });
const get = (call: number, value: string | null): Op => ok(1, call, call + 1, { op: 'get', key: 'k' }, { op: 'get', value });
const cas = (call: number, expected: string | null, value: string, swapped: boolean): Op =>
  ok(2, call, call + 1, { op: 'cas', key: 'k', expected, value }, { op: 'cas', swapped });
const txn = (call: number, expected: string | null, succeeded: boolean, results: KvTxnOpResult[]): Op =>
  ok(
    3,
    call,
    call + 1,
    {
      op: 'txn',
      key: 'k',
      compare: { operator: 'equal', value: expected },
      success: [{ op: 'put', value: 'T' }, { op: 'get' }],
      failure: [{ op: 'get' }, { op: 'delete' }],
    },
    { op: 'txn', succeeded, results },
  );
const check = (history: Op[]): boolean | 'unknown' => checkLinearizable(history, kvModel()).ok;

test.each([
  { name: 'cas on absent key with expected null swaps', history: [cas(0, null, 'a', true), get(2, 'a')], want: true },
  { name: 'cas with matching expected swaps', history: [put(0, 'a'), cas(2, 'a', 'b', true), get(4, 'b')], want: true },
  { name: 'cas with stale expected does not swap', history: [put(0, 'a'), cas(2, 'x', 'b', false), get(4, 'a')], want: true },
  { name: 'cas claiming a swap it could not make fails', history: [put(0, 'a'), cas(2, 'x', 'b', true)], want: false },
  { name: 'cas claiming no swap when it should have swapped fails', history: [put(0, 'a'), cas(2, 'a', 'b', false)], want: false },
  { name: 'cas that did not swap leaves the value', history: [put(0, 'a'), cas(2, 'x', 'b', false), get(4, 'b')], want: false },
  {
    name: 'txn success branch runs its ops in order',
    history: [put(0, 'a'), txn(2, 'a', true, [{ op: 'put' }, { op: 'get', value: 'T' }]), get(4, 'T')],
    want: true,
  },
  {
    name: 'txn failure branch runs its ops in order',
    history: [put(0, 'a'), txn(2, 'z', false, [{ op: 'get', value: 'a' }, { op: 'delete', deleted: true }]), get(4, null)],
    want: true,
  },
  {
    name: 'txn reporting the wrong branch fails',
    history: [put(0, 'a'), txn(2, 'a', false, [{ op: 'get', value: 'a' }, { op: 'delete', deleted: true }])],
    want: false,
  },
  {
    name: 'txn reporting a wrong result fails',
    history: [put(0, 'a'), txn(2, 'a', true, [{ op: 'put' }, { op: 'get', value: 'a' }])],
    want: false,
  },
  { name: 'txn reporting too few results fails', history: [put(0, 'a'), txn(2, 'a', true, [{ op: 'put' }])], want: false },
  {
    name: 'txn reporting too many results fails',
    history: [put(0, 'a'), txn(2, 'a', true, [{ op: 'put' }, { op: 'get', value: 'T' }, { op: 'get', value: 'T' }])],
    want: false,
  },
  {
    name: 'txn reporting a result of another kind fails',
    history: [put(0, 'a'), txn(2, 'a', true, [{ op: 'put' }, { op: 'delete', deleted: true }])],
    want: false,
  },
  {
    name: 'txn reporting a wrong deleted flag fails',
    history: [put(0, 'a'), txn(2, 'z', false, [{ op: 'get', value: 'a' }, { op: 'delete', deleted: false }])],
    want: false,
  },
])('kv cas/txn: $name', ({ history, want }) => {
  expect(check(history)).toBe(want);
});

test('kv cas/txn: less/greater/not-equal compares', () => {
  const cmp = (operator: 'less' | 'greater' | 'not-equal', value: string | null, succeeded: boolean): Op =>
    ok(
      3,
      2,
      3,
      { op: 'txn', key: 'k', compare: { operator, value }, success: [], failure: [] },
      { op: 'txn', succeeded, results: [] },
    );
  expect(check([put(0, 'b'), cmp('less', 'c', true)])).toBe(true);
  expect(check([put(0, 'b'), cmp('greater', 'a', true)])).toBe(true);
  expect(check([put(0, 'b'), cmp('greater', 'c', true)])).toBe(false);
  expect(check([cmp('less', 'c', false)])).toBe(true); // absent key: ordering compares are false
  expect(check([cmp('not-equal', null, false)])).toBe(true);
  expect(check([put(0, 'b'), cmp('not-equal', null, true)])).toBe(true);
});

test('kv cas/txn: an unknown cas may or may not have swapped', () => {
  const timedOut = unknown<KvInput, KvOutput>(2, 2, { op: 'cas', key: 'k', expected: 'a', value: 'b' });
  expect(check([put(0, 'a'), timedOut, get(10, 'b')])).toBe(true);
  expect(check([put(0, 'a'), timedOut, get(10, 'a')])).toBe(true);
  expect(check([put(0, 'a'), timedOut, get(10, 'c')])).toBe(false);
});
