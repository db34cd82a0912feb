import { expect, test } from 'vitest';
import { SeededRng } from '../../../src/raft/rng.js';
import {
  checkLinearizable,
  registerModel,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from '../../../src/testing/linearizability/index.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;

/** A random register history: random intervals, values and outcomes, linearizable or not. */
function randomHistory(rng: SeededRng): RegOp[] {
  const count = 1 + rng.nextInt(6);
  return Array.from({ length: count }, (_, i): RegOp => {
    const call = rng.nextInt(10);
    const ret = call + rng.nextInt(6);
    const value = rng.nextInt(3);
    const roll = rng.nextInt(10);
    const input: RegisterInput = rng.nextInt(2) === 0 ? { op: 'read' } : { op: 'write', value };
    if (roll === 0) return { clientId: i, op: input.op, input, call, return: Infinity, outcome: 'unknown' };
    if (roll === 1) return { clientId: i, op: input.op, input, call, return: ret, outcome: 'fail' };
    const output: RegisterOutput = input.op === 'read' ? { op: 'read', value: rng.nextInt(4) === 0 ? null : value } : { op: 'write' };
    return { clientId: i, op: input.op, input, call, return: ret, outcome: 'ok', output };
  });
}

/**
 * The naive oracle: try every subset of the unknown operations and every permutation
 * that respects real time (a before b when a returned strictly before b was called),
 * replaying the register by hand.
 */
function bruteForce(history: readonly RegOp[]): boolean {
  const live = history.filter((op) => op.outcome !== 'fail');
  const maybe = live.filter((op) => op.outcome === 'unknown');
  const sure = live.filter((op) => op.outcome === 'ok');
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = [...sure, ...maybe.filter((_, i) => (mask & (1 << i)) !== 0)];
    if (somePermutation(chosen, [], null)) return true;
  }
  return false;
}

function somePermutation(left: readonly RegOp[], done: readonly RegOp[], value: string | number | boolean | null): boolean {
  if (left.length === 0) return true;
  return left.some((op, i) => {
    const rest = left.filter((_, j) => j !== i);
    if (rest.some((other) => other.return < op.call)) return false; // another must come first
    if (op.input.op === 'write') return somePermutation(rest, [...done, op], op.input.value);
    if (op.outcome === 'ok' && op.output.op === 'read' && op.output.value !== value) return false;
    return somePermutation(rest, [...done, op], value);
  });
}

test('oracle: the checker agrees with brute force on 2 000 random small register histories', () => {
  const rng = new SeededRng(2024);
  let linearizable = 0;
  for (let i = 0; i < 2000; i++) {
    const history = randomHistory(rng);
    const want = bruteForce(history);
    const result = checkLinearizable(history, registerModel());
    expect(result.ok, `case ${i}: ${JSON.stringify(history)}`).toBe(want);
    if (result.ok === false) {
      // The counterexample is itself non-linearizable and drawn from the history.
      expect(bruteForce(result.counterexample), `case ${i} counterexample`).toBe(false);
    }
    if (want) linearizable++;
  }
  // Both verdicts are well represented.
  expect(linearizable).toBeGreaterThan(400);
  expect(linearizable).toBeLessThan(1600);
});
