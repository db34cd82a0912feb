import type { Model } from './model.js';
import { outputOf, type Operation } from './operation.js';

/** Width of one event slot on the drawn timeline, in characters. */
const SLOT = 3;

/**
 * Renders a value for humans: JSON where possible (so strings are quoted and `null`
 * shows); bigints, symbols, functions and cycles get a short placeholder.
 */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return '[function]';
    default:
      try {
        return JSON.stringify(value);
      } catch {
        return '[unserializable]';
      }
  }
}

/**
 * Describes one operation with the model's `describeOperation`, or as
 * `op input -> output` (`-> ?` when the outcome is unknown).
 */
export function describeOperation<State, Input, Output>(
  model: Model<State, Input, Output>,
  op: Operation<Input, Output>,
): string {
  const output = outputOf(op);
  if (model.describeOperation !== undefined) return model.describeOperation(op.input, output);
  return `${op.op} ${formatValue(op.input)} -> ${output === undefined ? '?' : formatValue(output)}`;
}

/**
 * Draws a counterexample as a table with one row per operation: client, call and
 * return times, the operation, and an interval bar on a compressed time axis (one slot
 * per distinct event time, so the bars show only the order of events).
 *
 * ```
 *  client  call  return  operation       timeline
 *  1          0       1  write 1         [--]
 *  2          2       3  read -> 0    *        [--]
 * ```
 */
export function explainCounterexample<State, Input, Output>(
  model: Model<State, Input, Output>,
  partitionKey: string,
  operations: readonly Operation<Input, Output>[],
  culprits: readonly Operation<Input, Output>[],
  partitionSize: number,
): string {
  const times = [...new Set(operations.flatMap((op) => (op.outcome === 'ok' ? [op.call, op.return] : [op.call])))];
  times.sort((a, b) => a - b);
  const slot = new Map(times.map((t, i) => [t, i * SLOT]));
  const axisEnd = (times.length - 1) * SLOT;
  const culprit = new Set(culprits);

  const rows = operations.map((op) => ({
    client: String(op.clientId),
    call: String(op.call),
    ret: op.outcome === 'ok' ? String(op.return) : 'unknown',
    text: describeOperation(model, op) + (culprit.has(op) ? '  *' : ''),
    bar: drawBar(slot.get(op.call) ?? 0, op.outcome === 'ok' ? (slot.get(op.return) ?? 0) : undefined, axisEnd),
  }));
  const header = { client: 'client', call: 'call', ret: 'return', text: 'operation', bar: 'timeline' };
  const width = (pick: (r: typeof header) => string): number => Math.max(...[header, ...rows].map((r) => pick(r).length));
  const w = { client: width((r) => r.client), call: width((r) => r.call), ret: width((r) => r.ret), text: width((r) => r.text) };
  const line = (r: typeof header): string =>
    `  ${r.client.padEnd(w.client)}  ${r.call.padStart(w.call)}  ${r.ret.padStart(w.ret)}  ${r.text.padEnd(w.text)}  ${r.bar}`.trimEnd();

  const names = culprits.map((op) => describeOperation(model, op)).join('; ');
  const where = partitionKey === '' ? 'The history' : `Partition ${formatValue(partitionKey)}`;
  return [
    `${where} is not linearizable. Smallest failing sub-history: ${operations.length} of ${partitionSize} operations.`,
    `These operations can be ordered to respect real time and the model until the one marked * returns`,
    `(${names}); with its output, no such order exists.`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `  [--] call to return (bars show event order only); [--> unknown outcome, may take effect any time after its call`,
  ].join('\n');
}

function drawBar(start: number, end: number | undefined, axisEnd: number): string {
  if (end === undefined) return `${' '.repeat(start)}[${'-'.repeat(Math.max(1, axisEnd - start + 1))}>`;
  return `${' '.repeat(start)}[${'-'.repeat(Math.max(1, end - start - 1))}]`;
}
