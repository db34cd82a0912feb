import { formatValue } from './explain.js';
import { partitionBy, type Model, type StepResult } from './model.js';

/** A comparison of a key's current value (`null` when absent) with `value`, as in an etcd txn. */
export interface KvCompare {
  /**
   * `'equal'` / `'not-equal'` compare value-or-null exactly; `'less'` / `'greater'`
   * compare strings by code unit and are false when either side is `null`.
   */
  readonly operator: 'equal' | 'not-equal' | 'less' | 'greater';
  /** The value to compare with; `null` stands for "the key is absent". */
  readonly value: string | null;
}

/** One operation inside a single-key transaction (it acts on the transaction's key). */
export type KvTxnOp = { readonly op: 'get' } | { readonly op: 'put'; readonly value: string } | { readonly op: 'delete' };

/** The result of one {@link KvTxnOp}, in the same position as the operation. */
export type KvTxnOpResult =
  | { readonly op: 'get'; readonly value: string | null }
  | { readonly op: 'put' }
  | { readonly op: 'delete'; readonly deleted: boolean };

/** An operation on a key-value store; every operation touches exactly one key. */
export type KvInput =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | {
      readonly op: 'txn';
      readonly key: string;
      readonly compare: KvCompare;
      readonly success: readonly KvTxnOp[];
      readonly failure: readonly KvTxnOp[];
    };

/** What a KV operation returns; `op` matches the input's `op`. `null` values mean "absent". */
export type KvOutput =
  | { readonly op: 'put' }
  | { readonly op: 'get'; readonly value: string | null }
  | { readonly op: 'delete'; readonly deleted: boolean }
  | { readonly op: 'cas'; readonly swapped: boolean }
  | { readonly op: 'txn'; readonly succeeded: boolean; readonly results: readonly KvTxnOpResult[] };

/** The state of the KV model: key to value; absent keys are missing. Never mutated. */
export type KvState = ReadonlyMap<string, string>;

/**
 * The model of a key-value store with put, get, delete, compare-and-set (`expected:
 * null` means "only if absent") and single-key transactions (compare, then run the
 * `success` or `failure` operations in order). It partitions histories per key, so each
 * key is checked on its own.
 */
export function kvModel(): Model<KvState, KvInput, KvOutput> {
  return {
    init: () => new Map(),
    step: stepKv,
    hash: (state) => formatValue([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    partition: (operations) => partitionBy(operations, (input) => input.key),
    describeOperation: describeKvOperation,
  };
}

function stepKv(state: KvState, input: KvInput, output: KvOutput | undefined): StepResult<KvState> {
  if (output !== undefined && output.op !== input.op) return { ok: false };
  const current = state.get(input.key) ?? null;
  switch (input.op) {
    case 'put':
      return { ok: true, state: withValue(state, input.key, input.value) };
    case 'get':
      return output?.op === 'get' && output.value !== current ? { ok: false } : { ok: true, state };
    case 'delete':
      if (output?.op === 'delete' && output.deleted !== (current !== null)) return { ok: false };
      return { ok: true, state: withValue(state, input.key, null) };
    case 'cas': {
      const swapped = current === input.expected;
      if (output?.op === 'cas' && output.swapped !== swapped) return { ok: false };
      return { ok: true, state: swapped ? withValue(state, input.key, input.value) : state };
    }
    case 'txn': {
      const succeeded = compare(current, input.compare);
      if (output?.op === 'txn' && output.succeeded !== succeeded) return { ok: false };
      let value = current;
      const results: KvTxnOpResult[] = [];
      for (const op of succeeded ? input.success : input.failure) {
        if (op.op === 'get') results.push({ op: 'get', value });
        else if (op.op === 'put') results.push({ op: 'put' });
        else results.push({ op: 'delete', deleted: value !== null });
        value = op.op === 'put' ? op.value : op.op === 'delete' ? null : value;
      }
      if (output?.op === 'txn' && !sameResults(output.results, results)) return { ok: false };
      return { ok: true, state: withValue(state, input.key, value) };
    }
  }
}

function compare(current: string | null, c: KvCompare): boolean {
  switch (c.operator) {
    case 'equal':
      return current === c.value;
    case 'not-equal':
      return current !== c.value;
    case 'less':
      return current !== null && c.value !== null && current < c.value;
    case 'greater':
      return current !== null && c.value !== null && current > c.value;
  }
}

function sameResults(got: readonly KvTxnOpResult[], want: readonly KvTxnOpResult[]): boolean {
  if (got.length !== want.length) return false;
  return got.every((g, i) => {
    const w = want[i]!;
    if (g.op !== w.op) return false;
    if (g.op === 'get' && w.op === 'get') return g.value === w.value;
    if (g.op === 'delete' && w.op === 'delete') return g.deleted === w.deleted;
    return true;
  });
}

function withValue(state: KvState, key: string, value: string | null): KvState {
  if ((state.get(key) ?? null) === value) return state;
  const next = new Map(state);
  if (value === null) next.delete(key);
  else next.set(key, value);
  return next;
}

function describeKvOperation(input: KvInput, output: KvOutput | undefined): string {
  const key = input.key;
  const unknown = output === undefined ? ' -> ?' : '';
  switch (input.op) {
    case 'put':
      return `put ${key}=${formatValue(input.value)}${unknown}`;
    case 'get':
      return `get ${key} -> ${output?.op === 'get' ? showValue(output.value) : '?'}`;
    case 'delete':
      return `delete ${key}${output?.op === 'delete' ? (output.deleted ? ' -> deleted' : ' -> not found') : unknown}`;
    case 'cas': {
      const text = `cas ${key} ${showValue(input.expected)} => ${formatValue(input.value)}`;
      return `${text}${output?.op === 'cas' ? (output.swapped ? ' -> swapped' : ' -> not swapped') : unknown}`;
    }
    case 'txn': {
      const ops = (list: readonly KvTxnOp[]): string => `[${list.map(describeTxnOp).join(', ')}]`;
      const head = `txn ${key} if ${input.compare.operator} ${showValue(input.compare.value)} then ${ops(input.success)} else ${ops(input.failure)}`;
      if (output?.op !== 'txn') return `${head}${unknown}`;
      const results = output.results.map(describeTxnResult).join(', ');
      return `${head} -> ${output.succeeded ? 'then' : 'else'} [${results}]`;
    }
  }
}

function describeTxnOp(op: KvTxnOp): string {
  return op.op === 'put' ? `put ${formatValue(op.value)}` : op.op;
}

function describeTxnResult(r: KvTxnOpResult): string {
  if (r.op === 'get') return `get ${showValue(r.value)}`;
  if (r.op === 'delete') return r.deleted ? 'deleted' : 'not found';
  return 'put';
}

function showValue(value: string | null): string {
  return value === null ? '(absent)' : formatValue(value);
}
