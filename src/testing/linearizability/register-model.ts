import { formatValue } from './explain.js';
import type { Model, StepResult } from './model.js';
import { simplifyByValues, type ValueView } from './simplify.js';

/** A value a register holds: any JSON primitive, compared with `===`. */
export type RegisterValue = string | number | boolean | null;

/** Reads the register. */
export interface RegisterReadInput {
  /** Always `'read'`. */
  readonly op: 'read';
}

/** Writes `value` to the register. */
export interface RegisterWriteInput {
  /** Always `'write'`. */
  readonly op: 'write';
  /** The value to write. */
  readonly value: RegisterValue;
}

/** Writes `value` to the register iff it holds `expected`. */
export interface RegisterCasInput {
  /** Always `'cas'`. */
  readonly op: 'cas';
  /** The value the register must hold for the write to happen. */
  readonly expected: RegisterValue;
  /** The value to write when the register holds `expected`. */
  readonly value: RegisterValue;
}

/** An operation on a register: read it, write it, or compare-and-set it. */
export type RegisterInput = RegisterReadInput | RegisterWriteInput | RegisterCasInput;

/** The output of a {@link RegisterReadInput}. */
export interface RegisterReadOutput {
  /** Always `'read'`. */
  readonly op: 'read';
  /** The value read. */
  readonly value: RegisterValue;
}

/** The output of a {@link RegisterWriteInput}. */
export interface RegisterWriteOutput {
  /** Always `'write'`. */
  readonly op: 'write';
}

/** The output of a {@link RegisterCasInput}. */
export interface RegisterCasOutput {
  /** Always `'cas'`. */
  readonly op: 'cas';
  /** Whether the register held `expected`, so that `value` was written. */
  readonly swapped: boolean;
}

/** What a register operation returns; `op` matches the input's `op`. */
export type RegisterOutput = RegisterReadOutput | RegisterWriteOutput | RegisterCasOutput;

/** Options of {@link registerModel}. */
export interface RegisterModelOptions {
  /** The value before any write. Default: `null`. */
  readonly initial?: RegisterValue;
}

/**
 * The model of a single read/write register with compare-and-set: a `read` returns the
 * last value written; a `cas` writes `value` and returns `swapped: true` iff the
 * register held `expected`. An output whose `op` differs from the input's never matches.
 */
export function registerModel(options: RegisterModelOptions = {}): Model<RegisterValue, RegisterInput, RegisterOutput> {
  const initial = options.initial ?? null;
  return {
    init: () => initial,
    step: stepRegister,
    hash: (state) => formatValue(state),
    isPure: (input, output) => input.op === 'read' || (output?.op === 'cas' && !output.swapped),
    simplify: (operations) => simplifyByValues(operations, registerView(initial)),
    describeOperation: describeRegisterOperation,
    recipe: { factory: 'registerModel', args: [{ initial }] },
  };
}

/** How register operations write, observe and compare values (for {@link simplifyByValues}). */
function registerView(initial: RegisterValue): ValueView<RegisterInput, RegisterOutput> {
  return {
    initial,
    writes: (input) => (input.op === 'read' ? [] : [input.value]),
    observed: (input, output) => {
      if (output.op === 'read' && input.op === 'read') return output.value;
      return output.op === 'cas' && input.op === 'cas' && output.swapped ? input.expected : undefined;
    },
    mentions: (input) => (input.op === 'cas' ? [input.expected] : []),
    blindWrite: (input) => input.op === 'write',
    blocksDrops: (input, output) => input.op === 'cas' && output?.op === 'cas' && !output.swapped,
    ordersValues: () => false,
    sameObject: () => true,
  };
}

function stepRegister(
  state: RegisterValue,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): StepResult<RegisterValue> {
  if (output !== undefined && output.op !== input.op) return { ok: false };
  switch (input.op) {
    case 'read':
      return output === undefined || (output.op === 'read' && output.value === state) ? { ok: true, state } : { ok: false };
    case 'write':
      return { ok: true, state: input.value };
    case 'cas': {
      const swapped = state === input.expected;
      if (output !== undefined && output.op === 'cas' && output.swapped !== swapped) return { ok: false };
      return { ok: true, state: swapped ? input.value : state };
    }
  }
}

function describeRegisterOperation(input: RegisterInput, output: RegisterOutput | undefined): string {
  const result = (text: string): string => (output === undefined ? `${text} -> ?` : text);
  switch (input.op) {
    case 'read':
      return output?.op === 'read' ? `read -> ${formatValue(output.value)}` : result('read');
    case 'write':
      return result(`write ${formatValue(input.value)}`);
    case 'cas': {
      const text = `cas ${formatValue(input.expected)} -> ${formatValue(input.value)}`;
      return output?.op === 'cas' ? `${text} (${output.swapped ? 'swapped' : 'not swapped'})` : result(text);
    }
  }
}
