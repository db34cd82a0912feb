import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import {
  checkLinearizable,
  closeCheckerThreads,
  kvModel,
  ParallelCheckError,
  type CheckOptions,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
  type ParallelOptions,
} from '../../../src/testing/linearizability/index.js';
import { checkerThreadCount } from '../../../src/testing/linearizability/pool.js';
import { corruptRead, registerHistory, type KvOp, type RegOp } from './corpus.js';
import { simulateKv } from './helpers.js';
import { RaftkitError } from '../../../src/errors.js';
import { recipeKvModel } from './parallel-model.js';

afterAll(() => closeCheckerThreads());

/** Parallel from the smallest history on, with more threads than the machine may have cores. */
const PARALLEL: ParallelOptions = { minOperations: 0, threads: 3 };

/** A register history as the operations on one key of a KV store. */
function onKey(history: readonly RegOp[], key: string): KvOp[] {
  return history.map((op): KvOp => {
    const { input } = op;
    const kvInput: KvInput =
      input.op === 'read' ? { op: 'get', key } : input.op === 'write' ? { op: 'put', key, value: String(input.value) } : { op: 'cas', key, expected: input.expected === null ? null : String(input.expected), value: String(input.value) };
    const base = { clientId: op.clientId, op: kvInput.op, input: kvInput, call: op.call };
    if (op.outcome !== 'ok') return { ...base, outcome: op.outcome, return: op.return };
    const out = op.output;
    const output: KvOutput = out.op === 'read' ? { op: 'get', value: out.value === null ? null : String(out.value) } : out.op === 'write' ? { op: 'put' } : { op: 'cas', swapped: out.swapped };
    return { ...base, outcome: 'ok', return: op.return, output };
  });
}

/**
 * Multi-key histories whose keys are hard for the quick pass, one per class of the corpus
 * (each key a register history of that class), intact and corrupted on some keys.
 */
function hardHistories(seed: number): { name: string; history: KvOp[] }[] {
  const unknownHeavy = (s: number): RegOp[] => registerHistory({ seed: s, clients: 6, operations: 120, unknownRate: 0.25, casRate: 0.2 });
  const sameInstant = (s: number): RegOp[] => registerHistory({ seed: s, clients: 22, operations: 22, sameInstant: 20, unknownRate: 0.2, maxDuration: 30 });
  const hot = (s: number): RegOp[] => registerHistory({ seed: s, clients: 16, operations: 300, unknownRate: 0.01, casRate: 0.2, maxDuration: 40 });
  const keys = (make: (s: number) => RegOp[], corrupt: readonly number[]): KvOp[] =>
    [0, 1, 2, 3].flatMap((k) => onKey(corrupt.includes(k) ? corruptRead(make(seed * 10 + k), seed + k) : make(seed * 10 + k), `k${k}`));
  const random = simulateKv({ seed, clients: 10, operations: 600, keys: 4, unknownRate: 0.3, failRate: 0.02 });
  return [
    { name: 'random', history: random },
    { name: 'random-corrupted', history: corruptRead(corruptRead(random, seed, { after: 0.5 }), seed + 1, { after: 0.3 }) },
    { name: 'random-ghost', history: corruptRead(random, seed, { ghost: true, after: 0.8 }) },
    { name: 'unknown-heavy', history: keys(unknownHeavy, []) },
    { name: 'unknown-heavy-corrupted', history: keys(unknownHeavy, [1, 3]) },
    { name: 'same-instant', history: keys(sameInstant, [2]) },
    { name: 'hot-register', history: keys(hot, []) },
    { name: 'hot-register-corrupted', history: keys(hot, [0, 2]) },
  ];
}

function both(history: readonly KvOp[], options: CheckOptions = {}): { serial: unknown; parallel: unknown } {
  const serial = checkLinearizable(history, kvModel(), options);
  const parallel = checkLinearizable(history, kvModel(), { ...options, parallel: PARALLEL });
  return { serial, parallel };
}

describe('parallel check (CheckOptions.parallel)', () => {
  test('gives the serial result object, field for field, on seeded multi-key histories of every class', () => {
    let failures = 0;
    for (const seed of [1, 2, 3]) {
      for (const { name, history } of hardHistories(seed)) {
        const { serial, parallel } = both(history, { shrinkSteps: 2000 });
        expect(parallel, `${name} seed ${seed}`).toEqual(serial);
        if ((serial as { ok: unknown }).ok === false) failures++;
      }
    }
    expect(failures).toBeGreaterThan(3); // the corrupted ones do fail, in some partition
    expect(checkerThreadCount()).toBeGreaterThan(0); // and worker threads did the work
  });

  test('runs out of maxSteps exactly where the serial check does (same partition, partitions checked and steps)', () => {
    const history = hardHistories(2).find((h) => h.name === 'hot-register-corrupted')!.history;
    const full = checkLinearizable(history, kvModel(), { shrinkSteps: 0 });
    const unknowns = new Set<string>();
    for (const maxSteps of [0, 1, 50, 500, 1500, 3000, Math.floor(full.steps / 2), full.steps - 1, full.steps, full.steps + 1]) {
      const { serial, parallel } = both(history, { maxSteps, shrinkSteps: 0 });
      expect(parallel, `maxSteps ${maxSteps}`).toEqual(serial);
      const result = serial as { ok: unknown; partitionKey?: string };
      if (result.ok === 'unknown') unknowns.add(result.partitionKey!);
    }
    expect(unknowns.size).toBeGreaterThan(0);
  });

  test('stops at the time limit in the worker threads too', () => {
    // A clock that says the time is up at once: every thread's deadline has passed.
    let t = 0;
    const now = (): number => (t += 1000);
    const history = hardHistories(1).find((h) => h.name === 'hot-register')!.history;
    const { serial, parallel } = both(history, { timeLimit: 1, now, shrinkSteps: 0 });
    expect(serial).toMatchObject({ ok: 'unknown', reason: 'time-limit' });
    expect(parallel).toMatchObject({ ok: 'unknown', reason: 'time-limit' });
  });

  test('small histories stay on the calling thread; a model without a recipe always does', () => {
    const history = hardHistories(3).find((h) => h.name === 'unknown-heavy-corrupted')!.history;
    const { recipe: _recipe, ...noRecipe } = kvModel();
    const model: Model<unknown, KvInput, KvOutput> = noRecipe;
    expect(checkLinearizable(history, model, { parallel: PARALLEL })).toEqual(checkLinearizable(history, kvModel()));
    expect(checkLinearizable(history, kvModel(), { parallel: true })).toEqual(checkLinearizable(history, kvModel()));
  });

  test('a model from a recipe in a module of its own', () => {
    const history = hardHistories(1).find((h) => h.name === 'unknown-heavy-corrupted')!.history;
    expect(checkLinearizable(history, recipeKvModel(), { parallel: PARALLEL })).toEqual(checkLinearizable(history, kvModel()));
  });

  test("a worker's failure surfaces as a ParallelCheckError (ERR_PARALLEL_CHECK), and the pool stays usable", () => {
    const history = hardHistories(1).find((h) => h.name === 'unknown-heavy-corrupted')!.history;
    const broken = { ...kvModel(), recipe: { factory: 'noSuchModel' } };
    let thrown: unknown;
    try {
      checkLinearizable(history, broken, { parallel: PARALLEL });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ParallelCheckError);
    expect(thrown).toBeInstanceOf(RaftkitError);
    expect(thrown).toMatchObject({ code: 'ERR_PARALLEL_CHECK', message: expect.stringContaining('noSuchModel') as unknown });
    expect(checkLinearizable(history, kvModel(), { parallel: PARALLEL })).toEqual(checkLinearizable(history, kvModel()));
  });

  test('a worker thread that exits while checking surfaces as a ParallelCheckError, not a hang', () => {
    // In a program of its own: vitest's test workers intercept process.exit.
    const fixture = fileURLToPath(new URL('./parallel-exit.fixture.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 50_000 });
    expect(out.trim()).toBe('ERR_PARALLEL_CHECK: a checker thread failed: Error: the thread exited with code 7 while checking');
  });

  test('closeCheckerThreads stops the pool; a later parallel check starts it again', async () => {
    const history: readonly Operation<KvInput, KvOutput>[] = hardHistories(2).find((h) => h.name === 'random-corrupted')!.history;
    checkLinearizable(history, kvModel(), { parallel: PARALLEL });
    expect(checkerThreadCount()).toBeGreaterThan(0);
    await closeCheckerThreads();
    expect(checkerThreadCount()).toBe(0);
    expect(checkLinearizable(history, kvModel(), { parallel: PARALLEL })).toEqual(checkLinearizable(history, kvModel()));
    expect(checkerThreadCount()).toBeGreaterThan(0);
  });
});
