import { formatValue } from './explain.js';
import type { Model, Simplified, StepResult } from './model.js';
import type { SearchOperation } from './operation.js';
import { OneKeyState, oneKeyId } from './kv-state.js';
import { simplifyByValues, type ValueView } from './simplify.js';

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

/** A transaction operation that reads the transaction's key. */
export interface KvTxnGetOp {
  /** Always `'get'`. */
  readonly op: 'get';
}

/** A transaction operation that writes `value` to the transaction's key. */
export interface KvTxnPutOp {
  /** Always `'put'`. */
  readonly op: 'put';
  /** The value to write. */
  readonly value: string;
}

/** A transaction operation that deletes the transaction's key. */
export interface KvTxnDeleteOp {
  /** Always `'delete'`. */
  readonly op: 'delete';
}

/** One operation inside a single-key transaction (it acts on the transaction's key). */
export type KvTxnOp = KvTxnGetOp | KvTxnPutOp | KvTxnDeleteOp;

/** The result of a {@link KvTxnGetOp}. */
export interface KvTxnGetResult {
  /** Always `'get'`. */
  readonly op: 'get';
  /** The key's value at that point of the transaction; `null` when absent. */
  readonly value: string | null;
}

/** The result of a {@link KvTxnPutOp}. */
export interface KvTxnPutResult {
  /** Always `'put'`. */
  readonly op: 'put';
}

/** The result of a {@link KvTxnDeleteOp}. */
export interface KvTxnDeleteResult {
  /** Always `'delete'`. */
  readonly op: 'delete';
  /** Whether the key was present (and so was deleted). */
  readonly deleted: boolean;
}

/** The result of one {@link KvTxnOp}, in the same position as the operation. */
export type KvTxnOpResult = KvTxnGetResult | KvTxnPutResult | KvTxnDeleteResult;

/** Writes `value` to `key`. */
export interface KvPutInput {
  /** Always `'put'`. */
  readonly op: 'put';
  /** The key to write. */
  readonly key: string;
  /** The value to write. */
  readonly value: string;
}

/** Reads `key`. */
export interface KvGetInput {
  /** Always `'get'`. */
  readonly op: 'get';
  /** The key to read. */
  readonly key: string;
}

/** Deletes `key`. */
export interface KvDeleteInput {
  /** Always `'delete'`. */
  readonly op: 'delete';
  /** The key to delete. */
  readonly key: string;
}

/** Writes `value` to `key` iff the key currently holds `expected`. */
export interface KvCasInput {
  /** Always `'cas'`. */
  readonly op: 'cas';
  /** The key to compare and set. */
  readonly key: string;
  /** The value the key must hold for the write to happen; `null` means "only if absent". */
  readonly expected: string | null;
  /** The value to write when the comparison holds. */
  readonly value: string;
}

/**
 * A single-key transaction: compares the key's value, then runs the `success` or
 * `failure` operations in order.
 */
export interface KvTxnInput {
  /** Always `'txn'`. */
  readonly op: 'txn';
  /** The key the transaction compares and acts on. */
  readonly key: string;
  /** The comparison that picks the branch. */
  readonly compare: KvCompare;
  /** The operations run when the comparison holds. */
  readonly success: readonly KvTxnOp[];
  /** The operations run when the comparison does not hold. */
  readonly failure: readonly KvTxnOp[];
}

/** An operation on a key-value store; every operation touches exactly one key. */
export type KvInput = KvPutInput | KvGetInput | KvDeleteInput | KvCasInput | KvTxnInput;

/** The output of a {@link KvPutInput}. */
export interface KvPutOutput {
  /** Always `'put'`. */
  readonly op: 'put';
}

/** The output of a {@link KvGetInput}. */
export interface KvGetOutput {
  /** Always `'get'`. */
  readonly op: 'get';
  /** The value read; `null` when the key is absent. */
  readonly value: string | null;
}

/** The output of a {@link KvDeleteInput}. */
export interface KvDeleteOutput {
  /** Always `'delete'`. */
  readonly op: 'delete';
  /** Whether the key was present (and so was deleted). */
  readonly deleted: boolean;
}

/** The output of a {@link KvCasInput}. */
export interface KvCasOutput {
  /** Always `'cas'`. */
  readonly op: 'cas';
  /** Whether the key held `expected`, so that `value` was written. */
  readonly swapped: boolean;
}

/** The output of a {@link KvTxnInput}. */
export interface KvTxnOutput {
  /** Always `'txn'`. */
  readonly op: 'txn';
  /** Whether the comparison held, so that the `success` branch ran. */
  readonly succeeded: boolean;
  /** The results of the branch's operations, in the same order. */
  readonly results: readonly KvTxnOpResult[];
}

/** What a KV operation returns; `op` matches the input's `op`. `null` values mean "absent". */
export type KvOutput = KvPutOutput | KvGetOutput | KvDeleteOutput | KvCasOutput | KvTxnOutput;

/** The state of the KV model: key to value; absent keys are missing. Never mutated. */
export type KvState = ReadonlyMap<string, string>;

/**
 * The model of a key-value store with put, get, delete, compare-and-set (`expected:
 * null` means "only if absent") and single-key transactions (compare, then run the
 * `success` or `failure` operations in order). It partitions histories per key
 * ({@link Model.partitionKey}), so each key is checked on its own.
 */
export function kvModel(): Model<KvState, KvInput, KvOutput> {
  // Plain functions, not closures: a model is often made per check.
  return {
    init: initKv,
    step: stepKv,
    hash: hashKv,
    partitionKey: keyOfKv,
    isPure: isPureKv,
    simplify: simplifyKv,
    describeOperation: describeKvOperation,
    recipe: { factory: 'kvModel' },
  };
}

function initKv(): KvState {
  return EMPTY;
}

function keyOfKv(input: KvInput): string {
  return input.key;
}

function simplifyKv(operations: readonly SearchOperation<KvInput, KvOutput>[]): Simplified<KvInput, KvOutput> {
  return simplifyByValues(operations, KV_VIEW);
}

/** The state with no key (states are never mutated, so one is enough). */
const EMPTY: KvState = new Map();

/**
 * A string that identifies a KV state (entries sorted by key). A state of one partition
 * holds at most one key, so that case is written directly (length-prefixed, so it never
 * equals another state's string, nor the JSON form of larger states, which starts with `[`).
 */
function hashKv(state: KvState): string {
  if (state instanceof OneKeyState) return state.id;
  if (state.size === 0) return '';
  if (state.size === 1) {
    for (const [key, value] of state) return oneKeyId(key, value);
  }
  const entries = [...state];
  if (entries.length > 1) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return formatValue(entries);
}

function isPureKv(input: KvInput, output: KvOutput | undefined): boolean {
  switch (input.op) {
    case 'get':
      return true;
    case 'put':
      return false;
    case 'delete':
      return output?.op === 'delete' && !output.deleted;
    case 'cas':
      return output?.op === 'cas' && !output.swapped;
    case 'txn':
      if (output?.op === 'txn') return readOnly(output.succeeded ? input.success : input.failure);
      return readOnly(input.success) && readOnly(input.failure);
  }
}

/** Whether a transaction branch only reads. */
function readOnly(ops: readonly KvTxnOp[]): boolean {
  for (const op of ops) if (op.op !== 'get') return false;
  return true;
}

/** A value of one key, as {@link simplifyByValues} compares them: the key and the value in one string. */
function keyed(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/**
 * How KV operations write, observe and compare values. Absence (`null`) is the initial
 * value of every key, so it is never "observed"; anything but put and get blocks drops.
 */
const KV_VIEW: ValueView<KvInput, KvOutput> = {
  initial: undefined,
  writes: (input) => {
    if (input.op === 'put' || input.op === 'cas') return [keyed(input.key, input.value)];
    if (input.op !== 'txn') return [];
    return [...input.success, ...input.failure].flatMap((op) => (op.op === 'put' ? [keyed(input.key, op.value)] : []));
  },
  observed: (input, output) => {
    if (input.op === 'get' && output.op === 'get') return output.value === null ? undefined : keyed(input.key, output.value);
    if (input.op === 'cas' && output.op === 'cas') return output.swapped && input.expected !== null ? keyed(input.key, input.expected) : undefined;
    if (input.op !== 'txn' || output.op !== 'txn') return undefined;
    if (output.succeeded && input.compare.operator === 'equal' && input.compare.value !== null) return keyed(input.key, input.compare.value);
    // A get before any write of the branch shows the value the transaction started from.
    const first = output.results[0];
    return first?.op === 'get' && first.value !== null ? keyed(input.key, first.value) : undefined;
  },
  mentions: (input) => {
    if (input.op === 'cas' && input.expected !== null) return [keyed(input.key, input.expected)];
    if (input.op === 'txn' && input.compare.value !== null) return [keyed(input.key, input.compare.value)];
    return [];
  },
  blindWrite: (input) => input.op === 'put',
  blocksDrops: (input) => input.op !== 'put' && input.op !== 'get',
  sameObject: (a, b) => a.key === b.key,
  ordersValues: (input) => input.op === 'txn' && (input.compare.operator === 'less' || input.compare.operator === 'greater'),
};

/** The step result of every rejected operation (results are never mutated, so one is enough). */
const REJECTED: StepResult<KvState> = { ok: false };
/** The step result that leaves the empty state. */
const EMPTY_ACCEPTED: StepResult<KvState> = { ok: true, state: EMPTY };

/** The step result that leads to `state`: a one-key state (or the empty one) has one made already. */
function accepted(state: KvState): StepResult<KvState> {
  if (state instanceof OneKeyState) return state.accepted;
  return state === EMPTY ? EMPTY_ACCEPTED : { ok: true, state };
}

function stepKv(state: KvState, input: KvInput, output: KvOutput | undefined): StepResult<KvState> {
  if (output !== undefined && output.op !== input.op) return REJECTED;
  const current = state.get(input.key) ?? null;
  switch (input.op) {
    case 'put':
      return accepted(withValue(state, input.key, input.value));
    case 'get':
      return output?.op === 'get' && output.value !== current ? REJECTED : accepted(state);
    case 'delete':
      if (output?.op === 'delete' && output.deleted !== (current !== null)) return REJECTED;
      return accepted(withValue(state, input.key, null));
    case 'cas': {
      const swapped = current === input.expected;
      if (output?.op === 'cas' && output.swapped !== swapped) return REJECTED;
      return accepted(swapped ? withValue(state, input.key, input.value) : state);
    }
    case 'txn': {
      const succeeded = compare(current, input.compare);
      if (output?.op === 'txn' && output.succeeded !== succeeded) return REJECTED;
      // Runs the branch, comparing each result with the one observed (if any) as it goes.
      const branch = succeeded ? input.success : input.failure;
      const observed = output?.op === 'txn' ? output.results : undefined;
      if (observed !== undefined && observed.length !== branch.length) return REJECTED;
      let value = current;
      for (let i = 0; i < branch.length; i++) {
        const op = branch[i]!;
        const seen = observed?.[i];
        if (seen !== undefined && !sameResult(seen, op, value)) return REJECTED;
        value = op.op === 'put' ? op.value : op.op === 'delete' ? null : value;
      }
      return accepted(withValue(state, input.key, value));
    }
  }
}

/** Whether `seen` is what `op` gives on a key holding `value`. */
function sameResult(seen: KvTxnOpResult, op: KvTxnOp, value: string | null): boolean {
  if (seen.op !== op.op) return false;
  if (seen.op === 'get') return seen.value === value;
  if (seen.op === 'delete') return seen.deleted === (value !== null);
  return true;
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

function withValue(state: KvState, key: string, value: string | null): KvState {
  if ((state.get(key) ?? null) === value) return state;
  // A state with only this key (every state of a per-key partition) stays one small object.
  if (state.size === 0 || (state.size === 1 && state.has(key))) {
    if (value === null) return EMPTY;
    return state instanceof OneKeyState ? state.withValue(value) : new OneKeyState(key, value);
  }
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
