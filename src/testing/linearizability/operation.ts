/**
 * Who issued an operation: any string or number that tells clients apart.
 */
export type ClientId = string | number;

/**
 * How an operation ended, as far as the client could tell.
 *
 * - `'ok'`: the operation took effect and the client saw its output.
 * - `'unknown'`: the client gave up (a timeout, a lost connection); the operation may or
 *   may not have taken effect, at any moment after its call. The checker treats its
 *   return time as `+Infinity` and its output as unconstrained.
 * - `'fail'`: the operation definitely did not take effect. The checker drops it.
 */
export type OperationOutcome = 'ok' | 'unknown' | 'fail';

/** The fields every recorded operation has, whatever its outcome. */
export interface OperationBase<Input> {
  /** The client that issued the operation. */
  readonly clientId: ClientId;
  /** A short name of the operation, such as `'put'` or `'read'`, used for display. */
  readonly op: string;
  /** What the client asked for; the model's `step` interprets it. */
  readonly input: Input;
  /** When the client issued the operation (simulated or real time; any finite number). */
  readonly call: number;
}

/** An operation that took effect and whose output the client observed. */
export interface CompletedOperation<Input, Output> extends OperationBase<Input> {
  /** Discriminant: the operation completed. */
  readonly outcome: 'ok';
  /** What the client observed. */
  readonly output: Output;
  /** When the client saw the output. Invariant: `call <= return`, finite. */
  readonly return: number;
}

/** An operation whose effect is unknown: it may have taken effect at any time after its call. */
export interface UnknownOperation<Input> extends OperationBase<Input> {
  /** Discriminant: the outcome is unknown. */
  readonly outcome: 'unknown';
  /** Always `+Infinity`: the effect, if any, may land arbitrarily late. */
  readonly return: number;
}

/** An operation that definitely did not take effect; checkers ignore it. */
export interface FailedOperation<Input> extends OperationBase<Input> {
  /** Discriminant: the operation failed. */
  readonly outcome: 'fail';
  /** When the client learned of the failure. */
  readonly return: number;
  /** The error the client saw, if any (kept for the reader; never checked). */
  readonly error?: unknown;
}

/**
 * One client operation of a history: its call and return times, input, and outcome.
 * A history is a `readonly Operation[]` in any order.
 */
export type Operation<Input, Output> =
  | CompletedOperation<Input, Output>
  | UnknownOperation<Input>
  | FailedOperation<Input>;

/** Returns the operation's output, or `undefined` when it is unknown (or failed). */
export function outputOf<Input, Output>(op: Operation<Input, Output>): Output | undefined {
  return op.outcome === 'ok' ? op.output : undefined;
}

/** Returns a copy of `op` turned into an unknown-outcome operation (its output forgotten). */
export function asUnknown<Input, Output>(op: Operation<Input, Output>): UnknownOperation<Input> {
  return { clientId: op.clientId, op: op.op, input: op.input, call: op.call, outcome: 'unknown', return: Infinity };
}

/**
 * One operation as the search sees it: times, input, output, and whether it must be
 * linearized. Unknown-outcome operations have `required: false`: the search may
 * linearize them anywhere after their call, or leave them out. A model's
 * `simplify` (see `Model`) may make one required, with a finite `return`, when it proves
 * the operation must have taken effect by then.
 */
export interface SearchOperation<Input, Output> {
  /** What the client asked for. */
  readonly input: Input;
  /** What the client saw, or `undefined` when unknown (the model must accept any output). */
  readonly output: Output | undefined;
  /** The call time. */
  readonly call: number;
  /** The latest time the operation may take effect (may be `Infinity`); ignored when `required` is false. */
  readonly return: number;
  /** Whether the operation definitely took effect and so must appear in the linearization. */
  readonly required: boolean;
}

/** The operation as the search sees it: unknown ones are not required. */
export function toSearchOperation<Input, Output>(op: Operation<Input, Output>): SearchOperation<Input, Output> {
  return { input: op.input, output: outputOf(op), call: op.call, return: op.return, required: op.outcome === 'ok' };
}
