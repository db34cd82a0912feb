import { HistoryFormatError } from './errors.js';
import type { ClientId, Operation } from './operation.js';

/**
 * One operation in the portable JSON history format: a JSON array of these objects,
 * readable by other checkers (Porcupine-style `call`/`return` numbers).
 *
 * ```json
 * [{ "clientId": 1, "op": "put", "input": { "op": "put", "key": "x", "value": "1" },
 *    "output": { "op": "put" }, "call": 0, "return": 3 }]
 * ```
 *
 * An operation whose outcome is unknown has `"return": null` and `"output": null`.
 * Failed operations are not written (they did not take effect).
 */
export interface HistoryJsonEntry {
  /** The client that issued the operation. */
  readonly clientId: ClientId;
  /** The operation's display name. */
  readonly op: string;
  /** The operation's input, as JSON. */
  readonly input: unknown;
  /** The observed output, as JSON; `null` when the outcome is unknown. */
  readonly output: unknown;
  /** The call time. */
  readonly call: number;
  /** The return time, or `null` when the outcome is unknown. */
  readonly return: number | null;
}

/** Converts a history to the portable JSON format, dropping failed operations. */
export function historyToJSON<Input, Output>(history: readonly Operation<Input, Output>[]): HistoryJsonEntry[] {
  const entries: HistoryJsonEntry[] = [];
  for (const op of history) {
    if (op.outcome === 'fail') continue;
    const known = op.outcome === 'ok';
    entries.push({
      clientId: op.clientId,
      op: op.op,
      input: op.input,
      output: known ? op.output : null,
      call: op.call,
      return: known ? op.return : null,
    });
  }
  return entries;
}

/**
 * Reads a history in the portable JSON format, given as a JSON string or an already
 * parsed value. Inputs and outputs are taken as they are: the type parameters are the
 * caller's promise about their shape.
 *
 * @throws {@link HistoryFormatError} naming the first bad entry and field.
 */
export function historyFromJSON<Input = unknown, Output = unknown>(json: unknown): Operation<Input, Output>[] {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (cause) {
      throw new HistoryFormatError(-1, '', 'not valid JSON', { cause });
    }
  }
  if (!Array.isArray(value)) throw new HistoryFormatError(-1, '', 'expected a JSON array of operations');
  return value.map((raw: unknown, i) => readEntry<Input, Output>(raw, i));
}

function readEntry<Input, Output>(raw: unknown, i: number): Operation<Input, Output> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HistoryFormatError(i, '', 'expected an object');
  }
  const entry = raw as Record<string, unknown>;
  const { clientId, op, call } = entry;
  const ret = entry['return'];
  if (!(typeof clientId === 'string' || (typeof clientId === 'number' && Number.isFinite(clientId)))) {
    throw new HistoryFormatError(i, 'clientId', 'expected a string or a finite number');
  }
  if (typeof op !== 'string') throw new HistoryFormatError(i, 'op', 'expected a string');
  if (!('input' in entry) || entry['input'] === undefined) throw new HistoryFormatError(i, 'input', 'missing');
  if (!('output' in entry) || entry['output'] === undefined) {
    throw new HistoryFormatError(i, 'output', 'missing (use null when the outcome is unknown)');
  }
  if (typeof call !== 'number' || !Number.isFinite(call)) throw new HistoryFormatError(i, 'call', 'expected a finite number');
  const input = entry['input'] as Input;
  if (ret === null) return { clientId, op, input, call, outcome: 'unknown', return: Infinity };
  if (typeof ret !== 'number' || !Number.isFinite(ret)) {
    throw new HistoryFormatError(i, 'return', 'expected a finite number, or null for an unknown outcome');
  }
  if (ret < call) throw new HistoryFormatError(i, 'return', `return (${ret}) is before call (${call})`);
  return { clientId, op, input, call, outcome: 'ok', output: entry['output'] as Output, return: ret };
}
