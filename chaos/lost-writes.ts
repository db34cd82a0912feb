/**
 * The durability check, on top of linearizability: after healing, every key's final value must
 * come from its last acknowledged write or from a write that could be ordered after it.
 *
 * For a key, let W be the acknowledged write (put, swapped cas, delete) that returned last. The
 * final value was produced by some write P (a put or cas of that value, a delete for "absent",
 * or the initial state). Values are unique per write, so P is known up to deletes. W is lost if
 * every candidate P returned before W was called: P then precedes W in real time, so W's effect
 * was overwritten by nothing and simply vanished. Unknown writes count as candidates (they may
 * land at any time after their call).
 */
import type { KvInput, KvOutput, Operation } from '../src/testing/index.js';

/** An acknowledged write that the final state does not reflect, or a final value no write produced. */
export interface LostWrite {
  /** The key. */
  key: string;
  /** `'lost'`: the last acknowledged write vanished; `'phantom'`: the final value was never written. */
  reason: 'lost' | 'phantom';
  /** The last acknowledged write on the key, as text. */
  lastAcked: string;
  /** The value read at the end (`null`: absent). */
  final: string | null;
}

type Op = Operation<KvInput, KvOutput>;

function effective(op: Op): boolean {
  if (op.input.op === 'get' || op.outcome === 'fail') return false;
  if (op.outcome === 'ok' && op.input.op === 'cas') return op.output.op === 'cas' && op.output.swapped;
  return true;
}

function produces(op: Op, value: string | null): boolean {
  const i = op.input;
  if (i.op === 'delete') return value === null;
  if (i.op === 'put' || i.op === 'cas') return i.value === value;
  return false;
}

function describe(op: Op): string {
  const i = op.input;
  const what = i.op === 'delete' ? `delete ${i.key}` : i.op === 'put' || i.op === 'cas' ? `${i.op} ${i.key}=${i.value}` : i.op;
  return `${what} by ${String(op.clientId)} [${op.call.toFixed(1)}, ${op.return.toFixed(1)}] ms`;
}

/** Finds acknowledged writes missing from `finalValues` (key → value read at the end). */
export function findLostWrites(history: readonly Op[], finalValues: Readonly<Record<string, string | null>>): LostWrite[] {
  const lost: LostWrite[] = [];
  for (const [key, final] of Object.entries(finalValues)) {
    const writes = history.filter((op) => op.input.key === key && effective(op));
    let last: Op | undefined;
    for (const op of writes) if (op.outcome === 'ok' && (last === undefined || op.return > last.return)) last = op;
    const producers = writes.filter((op) => produces(op, final));
    if (final !== null && producers.length === 0) {
      lost.push({ key, reason: 'phantom', lastAcked: last === undefined ? '(none)' : describe(last), final });
      continue;
    }
    if (last === undefined) continue;
    const w = last;
    if (!producers.some((p) => p.return > w.call)) lost.push({ key, reason: 'lost', lastAcked: describe(w), final });
  }
  return lost;
}
