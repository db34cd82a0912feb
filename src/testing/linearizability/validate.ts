import { HistoryFormatError } from './errors.js';

const OUTCOMES: ReadonlySet<unknown> = new Set(['ok', 'unknown', 'fail']);

/**
 * Checks the shape of every operation of a history the caller built by hand (the
 * recorder and the JSON reader always produce valid ones) and throws
 * `HistoryFormatError` naming the first bad operation and field.
 *
 * Rules: `clientId` is a string or a finite number; `op` is a string; `call` is finite;
 * `outcome` is `'ok'`, `'unknown'` or `'fail'`; an `'ok'` operation has a finite
 * `return >= call`; any other `return` is a number `>= call` (unknown ones may use `Infinity`).
 */
export function validateHistory(history: readonly unknown[]): void {
  if (!Array.isArray(history)) throw new HistoryFormatError(-1, '', 'expected an array of operations');
  history.forEach((raw, i) => validateOperation(raw, i));
}

function validateOperation(raw: unknown, i: number): void {
  if (typeof raw !== 'object' || raw === null) throw new HistoryFormatError(i, '', 'expected an operation object');
  const op = raw as Record<string, unknown>;
  const { clientId, call, outcome } = op;
  const ret = op['return'];
  if (!(typeof clientId === 'string' || (typeof clientId === 'number' && Number.isFinite(clientId)))) {
    throw new HistoryFormatError(i, 'clientId', 'expected a string or a finite number');
  }
  if (typeof op['op'] !== 'string') throw new HistoryFormatError(i, 'op', 'expected a string');
  if (typeof call !== 'number' || !Number.isFinite(call)) throw new HistoryFormatError(i, 'call', 'expected a finite number');
  if (!OUTCOMES.has(outcome)) throw new HistoryFormatError(i, 'outcome', "expected 'ok', 'unknown' or 'fail'");
  if (typeof ret !== 'number' || Number.isNaN(ret)) throw new HistoryFormatError(i, 'return', 'expected a number');
  if (ret < call) throw new HistoryFormatError(i, 'return', `return (${ret}) is before call (${call})`);
  if (outcome === 'ok' && !Number.isFinite(ret)) {
    throw new HistoryFormatError(i, 'return', "an 'ok' operation needs a finite return time");
  }
  if (outcome === 'ok' && !('output' in op)) throw new HistoryFormatError(i, 'output', "an 'ok' operation needs an output");
}
