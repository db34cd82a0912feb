import { describe, expect, test } from 'vitest';
import { checkPut, checkTxn } from '../../src/kv/mvcc/check.js';
import type { RequestOp, TxnRequest } from '../../src/kv/types.js';

const put = (key: string): RequestOp => ({ requestPut: { key, value: 'v' } });
const del = (key: string, rangeEnd?: string): RequestOp => ({ requestDeleteRange: rangeEnd === undefined ? { key } : { key, rangeEnd } });
const get = (key: string): RequestOp => ({ requestRange: { key } });
const txn = (success: RequestOp[], failure: RequestOp[] = []): RequestOp => ({ requestTxn: { success, failure } });
const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('txn validation (etcd checkTxnRequest + checkIntervals)', () => {
  test.each<[string, TxnRequest, string | undefined]>([
    ['two puts of one key', { success: [put('a'), put('a')] }, 'ERR_DUPLICATE_KEY'],
    ['a put in success and one in failure', { success: [put('a')], failure: [put('a')] }, undefined],
    ['a put inside a deleted range', { success: [del('a', 'c'), put('b')] }, 'ERR_DUPLICATE_KEY'],
    ['a put at the deleted range end (exclusive)', { success: [del('a', 'c'), put('c')] }, undefined],
    ['a put of a deleted key', { success: [del('a'), put('a')] }, 'ERR_DUPLICATE_KEY'],
    ['a delete with "\\0" end never conflicts (etcd quirk)', { success: [del('a', '\0'), put('b')] }, undefined],
    ['two deletes overlap freely', { success: [del('a', 'c'), del('b', 'd')] }, undefined],
    ['reads never conflict', { success: [get('a'), put('a'), get('a')] }, undefined],
    ['a nested put of a key put at the outer level', { success: [put('a'), txn([put('a')])] }, 'ERR_DUPLICATE_KEY'],
    ['a nested put of a key deleted at the outer level', { success: [del('a', 'b'), txn([put('a')])] }, 'ERR_DUPLICATE_KEY'],
    ['nested then and else may put the same key', { success: [txn([put('a')], [put('a')])] }, undefined],
    ['an outer put inside a range a nested txn deletes', { success: [txn([del('a', 'z')]), put('m')] }, 'ERR_DUPLICATE_KEY'],
    ['two nested txns putting one key', { success: [txn([put('a')]), txn([], [put('a')])] }, 'ERR_DUPLICATE_KEY'],
    ['the failure branch is checked on its own', { success: [put('a')], failure: [put('b'), put('b')] }, 'ERR_DUPLICATE_KEY'],
    ['an empty key in a compare', { compare: [{ key: '', target: 0, result: 0 }] }, 'ERR_EMPTY_KEY'],
    ['an empty key in a nested op', { success: [txn([get('')])] }, 'ERR_EMPTY_KEY'],
  ])('%s', (_, req, want) => {
    expect(code(() => checkTxn(req))).toBe(want);
  });

  test('at most maxTxnOps in the largest of compare/success/failure; nested txns get what is left', () => {
    const many = (n: number): RequestOp[] => Array.from({ length: n }, (_, i) => put(`k${i}`));
    expect(code(() => checkTxn({ success: many(128) }))).toBeUndefined();
    expect(code(() => checkTxn({ success: many(129) }))).toBe('ERR_TOO_MANY_OPS');
    expect(code(() => checkTxn({ success: many(3) }, 3))).toBeUndefined();
    expect(code(() => checkTxn({ success: many(4) }, 3))).toBe('ERR_TOO_MANY_OPS');
    // 2 outer ops leave 1 for the nested txn.
    expect(code(() => checkTxn({ success: [put('x'), { requestTxn: { success: many(1) } }] }, 3))).toBeUndefined();
    expect(code(() => checkTxn({ success: [put('x'), { requestTxn: { success: many(2) } }] }, 3))).toBe('ERR_TOO_MANY_OPS');
  });

  test.each([
    [{ key: 'a', ignoreValue: true, value: 'x' }, 'ERR_VALUE_PROVIDED'],
    [{ key: 'a', ignoreLease: true, lease: 5n }, 'ERR_LEASE_PROVIDED'],
    [{ key: '', value: 'x' }, 'ERR_EMPTY_KEY'],
    [{ key: 'a', ignoreValue: true }, undefined],
  ])('put %o', (req, want) => {
    expect(code(() => checkPut(req))).toBe(want);
  });
});
