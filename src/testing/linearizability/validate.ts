import { HistoryFormatError } from './errors.js';

/**
 * Checks the shape of every operation of a history the caller built by hand (the
 * recorder and the JSON reader always produce valid ones) and throws
 * `HistoryFormatError` naming the first bad operation and field. Returns the operations
 * that did not fail (the ones a check looks at), in history order: one pass reads each
 * field once.
 *
 * Rules: `clientId` is a string or a finite number; `op` is a string; `call` is finite;
 * `outcome` is `'ok'`, `'unknown'` or `'fail'`; an `'ok'` operation has a finite
 * `return >= call`; any other `return` is a number `>= call` (unknown ones may use `Infinity`).
 */
export function validateHistory<T>(history: readonly T[]): T[] {
  const ops: readonly T[] = history;
  if (!Array.isArray(history)) throw new HistoryFormatError(-1, '', 'expected an array of operations');
  const live: T[] = [];
  for (let i = 0; i < ops.length; i++) {
    const raw = ops[i]!;
    if (validateOperation(raw, i)) live.push(raw);
  }
  return live;
}

/** Throws `HistoryFormatError` if operation `i` is malformed; returns whether it is live (did not fail). */
export function validateOperation(raw: unknown, i: number): boolean {
  if (typeof raw !== 'object' || raw === null) throw new HistoryFormatError(i, '', 'expected an operation object');
  const op = raw as Record<string, unknown>;
  const { clientId, call, outcome } = op;
  const ret = op['return'];
  if (typeof clientId !== 'number' ? typeof clientId !== 'string' : !Number.isFinite(clientId)) {
    throw new HistoryFormatError(i, 'clientId', 'expected a string or a finite number');
  }
  if (typeof op['op'] !== 'string') throw new HistoryFormatError(i, 'op', 'expected a string');
  if (typeof call !== 'number' || !Number.isFinite(call)) throw new HistoryFormatError(i, 'call', 'expected a finite number');
  if (outcome !== 'ok' && outcome !== 'unknown' && outcome !== 'fail') throw new HistoryFormatError(i, 'outcome', "expected 'ok', 'unknown' or 'fail'");
  if (typeof ret !== 'number' || Number.isNaN(ret)) throw new HistoryFormatError(i, 'return', 'expected a number');
  if (ret < call) throw new HistoryFormatError(i, 'return', `return (${ret}) is before call (${call})`);
  if (outcome === 'ok') {
    if (!Number.isFinite(ret)) throw new HistoryFormatError(i, 'return', "an 'ok' operation needs a finite return time");
    if (!('output' in op)) throw new HistoryFormatError(i, 'output', "an 'ok' operation needs an output");
  }
  return outcome !== 'fail';
}
