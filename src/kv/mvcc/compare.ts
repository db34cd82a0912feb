import type { Compare, KeyValue, TxnRequest } from '../types.js';
import { CompareResult, CompareTarget } from '../types.js';
import { compareBytes, keyRange, toBytes } from './bytes.js';
import type { ReadView } from './store.js';

const ZERO_KV: KeyValue = { key: new Uint8Array(0), createRevision: 0, modRevision: 0, version: 0, value: new Uint8Array(0), lease: 0n };

const sign = (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether one key-value satisfies a compare (etcd's `compareKV`); a missing field compares as zero/empty. */
export function compareKv(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target) {
    case CompareTarget.VALUE:
      result = compareBytes(kv.value, toBytes(c.value));
      break;
    case CompareTarget.CREATE:
      result = sign(kv.createRevision, c.createRevision ?? 0);
      break;
    case CompareTarget.MOD:
      result = sign(kv.modRevision, c.modRevision ?? 0);
      break;
    case CompareTarget.VERSION:
      result = sign(kv.version, c.version ?? 0);
      break;
    case CompareTarget.LEASE:
      result = sign(kv.lease, c.lease ?? 0n);
      break;
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
  }
}

/**
 * Whether a compare holds in `view` (etcd's `applyCompare`): over a range every existing key
 * must satisfy it; with no key at all, a VALUE compare fails and the others compare a zero
 * key-value (so `version = 0` tests that a key does not exist).
 */
export async function applyCompare(view: ReadView, c: Compare): Promise<boolean> {
  let kvs: KeyValue[];
  try {
    kvs = (await view.rangeKeys(keyRange(toBytes(c.key), toBytes(c.rangeEnd)), { limit: 0, rev: 0, count: false })).kvs;
  } catch {
    return false;
  }
  if (kvs.length === 0) return c.target === CompareTarget.VALUE ? false : compareKv(c, ZERO_KV);
  return kvs.every((kv) => compareKv(c, kv));
}

/** Whether every compare of a txn holds. */
export async function applyCompares(view: ReadView, cs: readonly Compare[]): Promise<boolean> {
  for (const c of cs) if (!(await applyCompare(view, c))) return false;
  return true;
}

/**
 * The branch every txn on the path takes (etcd's `compareToPath`): the outer txn's result,
 * then, depth first, that of each nested txn in the branch taken. Every compare, nested ones
 * included, is evaluated against `view`, the state before the txn runs.
 */
export async function compareToPath(view: ReadView, rt: TxnRequest): Promise<boolean[]> {
  const path = [await applyCompares(view, rt.compare ?? [])];
  const walk = async (t: TxnRequest, ok: boolean): Promise<void> => {
    for (const op of (ok ? t.success : t.failure) ?? []) {
      if (!('requestTxn' in op)) continue;
      const inner = await applyCompares(view, op.requestTxn.compare ?? []);
      path.push(inner);
      await walk(op.requestTxn, inner);
    }
  };
  await walk(rt, path[0]!);
  return path;
}
