import { SeededRng } from '../../../src/raft/rng.js';
import type {
  KvInput,
  KvOutput,
  Operation,
  RegisterInput,
  RegisterOutput,
} from '../../../src/testing/linearizability/index.js';

/** A completed operation; `op` defaults to the input's `op`. */
export function ok<I extends { op: string }, O>(
  clientId: number,
  call: number,
  ret: number,
  input: I,
  output: O,
): Operation<I, O> {
  return { clientId, op: input.op, input, call, return: ret, outcome: 'ok', output };
}

/** An unknown-outcome operation called at `call`. */
export function unknown<I extends { op: string }, O>(clientId: number, call: number, input: I): Operation<I, O> {
  return { clientId, op: input.op, input, call, return: Infinity, outcome: 'unknown' };
}

/** A failed operation. */
export function failed<I extends { op: string }, O>(clientId: number, call: number, ret: number, input: I): Operation<I, O> {
  return { clientId, op: input.op, input, call, return: ret, outcome: 'fail' };
}

/** Register shorthands. */
export const reg = {
  write: (c: number, call: number, ret: number, value: string | number | null): Operation<RegisterInput, RegisterOutput> =>
    ok(c, call, ret, { op: 'write', value }, { op: 'write' }),
  read: (c: number, call: number, ret: number, value: string | number | null): Operation<RegisterInput, RegisterOutput> =>
    ok(c, call, ret, { op: 'read' }, { op: 'read', value }),
  cas: (c: number, call: number, ret: number, expected: string, value: string, swapped: boolean): Operation<RegisterInput, RegisterOutput> =>
    ok(c, call, ret, { op: 'cas', expected, value }, { op: 'cas', swapped }),
};

/** Options of {@link simulateKv}. */
export interface SimulationOptions {
  seed: number;
  clients: number;
  operations: number;
  keys: number;
  /** Probability that an operation ends with an unknown outcome (it may or may not apply). */
  unknownRate?: number;
  /** Probability that an operation fails (it does not apply). */
  failRate?: number;
}

/**
 * Simulates clients against a truly linearizable in-memory KV store (a plain Map,
 * independent of the model under test). Each step advances one random client by one
 * phase: call -> apply (the linearization point) -> return, and the clock ticks, so
 * intervals overlap randomly and each operation takes effect strictly inside its interval.
 */
export function simulateKv(options: SimulationOptions): Operation<KvInput, KvOutput>[] {
  const rng = new SeededRng(options.seed);
  const store = new Map<string, string>();
  const history: Operation<KvInput, KvOutput>[] = [];
  type Phase =
    | { kind: 'idle' }
    | { kind: 'called'; input: KvInput; call: number }
    | { kind: 'applied'; input: KvInput; call: number; output: KvOutput | undefined };
  const clients: Phase[] = Array.from({ length: options.clients }, () => ({ kind: 'idle' }));
  let issued = 0;
  let time = 0;
  let values = 0;
  while (issued < options.operations || clients.some((c) => c.kind !== 'idle')) {
    const id = rng.nextInt(options.clients);
    const phase = clients[id]!;
    time++;
    if (phase.kind === 'idle') {
      if (issued >= options.operations) continue;
      issued++;
      clients[id] = { kind: 'called', input: randomKvInput(rng, options.keys, store, `v${values++}`), call: time };
    } else if (phase.kind === 'called') {
      const roll = rng.nextFloat();
      const fails = roll < (options.failRate ?? 0);
      const output = fails ? undefined : applyKv(store, phase.input);
      clients[id] = { kind: 'applied', input: phase.input, call: phase.call, output };
    } else {
      const { input, call, output } = phase;
      // A client may lose track of any operation, applied or not. (Object literals, as
      // HistoryRecorder builds them: a spread `{ ...base, more }` gets a hidden class of its own.)
      if (rng.nextFloat() < (options.unknownRate ?? 0)) history.push({ clientId: id, op: input.op, input, call, outcome: 'unknown', return: Infinity });
      else if (output === undefined) history.push({ clientId: id, op: input.op, input, call, outcome: 'fail', return: time });
      else history.push({ clientId: id, op: input.op, input, call, outcome: 'ok', output, return: time });
      clients[id] = { kind: 'idle' };
    }
  }
  return history;
}

function randomKvInput(rng: SeededRng, keys: number, store: Map<string, string>, fresh: string): KvInput {
  const key = `k${rng.nextInt(keys)}`;
  const roll = rng.nextInt(100);
  if (roll < 35) return { op: 'get', key };
  if (roll < 65) return { op: 'put', key, value: fresh };
  if (roll < 72) return { op: 'delete', key };
  const current = store.get(key) ?? null;
  const expected = rng.nextInt(2) === 0 ? current : null;
  if (roll < 88) return { op: 'cas', key, expected, value: fresh };
  return {
    op: 'txn',
    key,
    compare: { operator: 'equal', value: expected },
    success: [{ op: 'put', value: fresh }, { op: 'get' }],
    failure: [{ op: 'get' }],
  };
}

/** The reference store: applies `input` to a Map and returns the output. */
function applyKv(store: Map<string, string>, input: KvInput): KvOutput {
  const current = store.get(input.key) ?? null;
  switch (input.op) {
    case 'get':
      return { op: 'get', value: current };
    case 'put':
      store.set(input.key, input.value);
      return { op: 'put' };
    case 'delete':
      store.delete(input.key);
      return { op: 'delete', deleted: current !== null };
    case 'cas':
      if (current !== input.expected) return { op: 'cas', swapped: false };
      store.set(input.key, input.value);
      return { op: 'cas', swapped: true };
    case 'txn': {
      const succeeded = current === input.compare.value; // the simulation only uses 'equal'
      const results: KvOutput & { op: 'txn' } = { op: 'txn', succeeded, results: [] };
      const list: NonNullable<typeof results.results>[number][] = [];
      for (const op of succeeded ? input.success : input.failure) {
        const value = store.get(input.key) ?? null;
        if (op.op === 'get') list.push({ op: 'get', value });
        else if (op.op === 'put') {
          store.set(input.key, op.value);
          list.push({ op: 'put' });
        } else {
          store.delete(input.key);
          list.push({ op: 'delete', deleted: value !== null });
        }
      }
      return { ...results, results: list };
    }
  }
}
