/**
 * The checker benchmark's link to Porcupine (github.com/anishathalye/porcupine), the Go
 * checker issue 14 measures against: exporting the exact runs of the benchmark (each
 * history in each entry order) as JSON files for the Go driver in bench/porcupine/, and
 * reading the driver's results back to put a Porcupine column next to ours. Go and
 * Porcupine are never needed by the tests, CI or the package (bench/porcupine/README.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON, type Operation } from '../src/testing/linearizability/index.js';
import type { CorpusCase, CorpusClass } from '../test/testing/linearizability/corpus.js';

/** One timed check of the benchmark: a history of the corpus in one entry order. */
export interface BenchRun {
  readonly c: CorpusCase;
  readonly order: number;
  readonly history: readonly unknown[];
}

/** What the Go driver prints for one run (one JSON object per line). */
export interface PorcupineResult {
  readonly name: string;
  readonly cls: CorpusClass;
  readonly order: number;
  readonly ops: number;
  readonly verdict: 'Ok' | 'Illegal' | 'Unknown';
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** The key that matches a run with its Porcupine result. */
export function runKey(name: string, order: number): string {
  return `${name}#${order}`;
}

/**
 * Writes every run as `<dir>/<name>.<order>.json` (`{ name, cls, model, order, history }`,
 * the history in the portable format of `historyToJSON`: unknown outcomes have
 * `return: null`, failed operations are left out) and a `manifest.json` with the budget.
 */
export function exportRuns(dir: string, runs: readonly BenchRun[], budgetMs: number): void {
  mkdirSync(dir, { recursive: true });
  for (const { c, order, history } of runs) {
    const body = { name: c.name, cls: c.cls, model: c.model, order, history: historyToJSON(history as readonly Operation<unknown, unknown>[]) };
    writeFileSync(join(dir, `${c.name}.${order}.json`), JSON.stringify(body));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ runs: runs.length, budgetMs }));
}

/**
 * Reads the Go driver's output (JSON lines) into a map by {@link runKey}. `paths` may name
 * several result files (comma-separated: separate runs of the driver on the same export);
 * each run then keeps its fastest wall and CPU times.
 */
export function readPorcupineResults(paths: string): Map<string, PorcupineResult> {
  const results = new Map<string, PorcupineResult>();
  for (const path of paths.split(',')) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const r = JSON.parse(line) as PorcupineResult;
      const key = runKey(r.name, r.order);
      const seen = results.get(key);
      results.set(key, seen === undefined ? r : { ...r, wallMs: Math.min(seen.wallMs, r.wallMs), cpuMs: Math.min(seen.cpuMs, r.cpuMs) });
    }
  }
  return results;
}

/** Porcupine's verdict in the benchmark's terms. */
export function porcupineVerdict(r: PorcupineResult): boolean | 'unknown' {
  return r.verdict === 'Unknown' ? 'unknown' : r.verdict === 'Ok';
}

/** The value of a `--name=value` command-line argument, or the environment variable `env`. */
export function argOrEnv(name: string, env: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? process.env[env] : arg.slice(name.length + 3);
}
