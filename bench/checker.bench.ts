/**
 * The linearizability checker over the seeded corpus of issue 14 (test/testing/linearizability/
 * corpus.ts): per class, the time to a verdict (median, p90) and the number undecided within a
 * budget, for this checker and for the baseline (the checker as it was at BASELINE, extracted
 * from git into a temp dir and run in the same process, alternating history by history), with
 * the ratio baseline/ours. Verdicts must agree wherever both decide; conflicts are printed.
 *
 * Every check is timed by both clocks: wall time (`performance.now()` around the call) and
 * CPU time of this process (all threads, as Porcupine's CPU column counts all goroutines);
 * budgets are CPU time (the machine is shared). Timings exclude shrinking (`shrinkSteps: 0`);
 * a last column gives ours with the default shrinking. Each checker runs twice per history
 * (alternating; CHECKER_ROUNDS times, default 2) and keeps its faster run, per clock. With CHECKER_PARALLEL=on (the default)
 * ours checks big histories' partitions in worker threads (`CheckOptions.parallel`), as
 * Porcupine checks partitions in goroutines; `off` times the single-thread path.
 * Environment: CHECKER_CLASSES (comma-separated classes; default all), CHECKER_BUDGET_MS (default 2000), CHECKER_PER_CLASS (default 3),
 * CHECKER_ORDERS (entry orders per history of the small hard classes, default 5), CHECKER_SIM
 * (simulated-cluster histories, default 4), CHECKER_BASELINE=off (skip the baseline), CHECKER_WARMUP
 * (rounds over the small classes before timing, each checker alike, default 10), CHECKER_PARALLEL, CHECKER_ROUNDS.
 *
 * Porcupine (bench/porcupine/README.md): `--export=<dir>` (or CHECKER_EXPORT) writes every run
 * as JSON for the Go driver and stops; `--porcupine=<file>` (or CHECKER_PORCUPINE) reads the
 * driver's results and adds Porcupine's columns (CPU and wall time, undecided) and its
 * verdict agreement to the table.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ours from '../src/testing/linearizability/index.js';
import { permutations, simCorpus, syntheticCorpus, type CorpusCase, type CorpusClass } from '../test/testing/linearizability/corpus.js';
import { argOrEnv, exportRuns, porcupineVerdict, readPorcupineResults, runKey, type BenchRun, type PorcupineResult } from './checker-porcupine.js';
import { fmtFixed, median, percentile } from './util.js';

/** The commit whose checker is the baseline (the last one before issue 14's rewrite). */
const BASELINE = 'f07ed6ec7beb556d8f8ec6be9b59dca251066f7c';
const BUDGET_MS = Number(process.env['CHECKER_BUDGET_MS'] ?? 2000);
const PER_CLASS = Number(process.env['CHECKER_PER_CLASS'] ?? 3);
const ORDERS = Number(process.env['CHECKER_ORDERS'] ?? 5);
const SIM = Number(process.env['CHECKER_SIM'] ?? 4);
const WARMUP = Number(process.env['CHECKER_WARMUP'] ?? 10);
const PARALLEL = process.env['CHECKER_PARALLEL'] !== 'off';
const ROUNDS = Math.max(1, Number(process.env['CHECKER_ROUNDS'] ?? 2));
/** Classes small enough to re-check in several entry orders. */
const REORDERED: ReadonlySet<CorpusClass> = new Set(['same-instant', 'unknown-heavy', 'random', 'sim-chaos', 'corrupted']);

type Checker = typeof ours;
type Verdict = true | false | 'unknown';

interface Sample {
  cls: CorpusClass;
  name: string;
  order: number;
  ours: Timed;
  base: Timed;
  oursShrinkMs: number;
  porcupine: PorcupineResult | undefined;
}

/** Extracts the baseline checker's sources from git into a temp dir and imports it. */
async function loadBaseline(): Promise<{ checker: Checker; cleanup: () => void } | undefined> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-baseline-'));
  try {
    const list = execFileSync('git', ['ls-tree', '--name-only', BASELINE, 'src/testing/linearizability/'], { cwd: root, encoding: 'utf8' });
    for (const path of [...list.split('\n').filter((p) => p.endsWith('.ts')), 'src/errors.ts']) {
      const text = execFileSync('git', ['show', `${BASELINE}:${path}`], { cwd: root, encoding: 'utf8' });
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const checker = (await import(pathToFileURL(join(dir, 'src/testing/linearizability/index.ts')).href)) as Checker;
    return { checker, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`baseline checker unavailable (${(err as Error).message.split('\n')[0]}); timing ours only`);
    return undefined;
  }
}

/** One timed check: CPU and wall milliseconds, and verdict. */
interface Timed {
  /** CPU time (the process, all threads). */
  ms: number;
  /** Wall time. */
  wallMs: number;
  ok: Verdict;
}

/**
 * This process's CPU time in milliseconds. The machine is shared, so wall time mostly
 * measures the other processes; both the timings and the budgets use CPU time.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The faster of two runs, per clock (the verdicts are the same, or a conflict is printed). */
function faster(a: Timed, b: Timed): Timed {
  return { ms: Math.min(a.ms, b.ms), wallMs: Math.min(a.wallMs, b.wallMs), ok: a.ok };
}

function timeCheck(checker: Checker, c: CorpusCase, history: readonly unknown[], shrinkSteps?: number, parallel = false): Timed {
  const options = { timeLimit: BUDGET_MS, now: cpuMs, ...(shrinkSteps === undefined ? {} : { shrinkSteps }), ...(parallel ? { parallel: true } : {}) };
  const start = cpuMs();
  const wallStart = performance.now();
  const result =
    c.model === 'kv'
      ? checker.checkLinearizable(history as typeof c.history, checker.kvModel(), options)
      : checker.checkLinearizable(history as typeof c.history, checker.registerModel(), options);
  const wallMs = performance.now() - wallStart;
  return { ms: cpuMs() - start, wallMs, ok: result.ok };
}

/** Milliseconds of a run for the medians: an undecided run counts as the full budget. */
function budgeted(t: Timed, clock: 'ms' | 'wallMs' = 'ms'): number {
  return t.ok === 'unknown' ? BUDGET_MS : t[clock];
}

/** Porcupine's run as a {@link Timed} (CPU or wall time), or undefined without results. */
function porcupineTimed(s: Sample, clock: 'cpuMs' | 'wallMs'): Timed | undefined {
  return s.porcupine === undefined ? undefined : { ms: s.porcupine[clock], wallMs: s.porcupine.wallMs, ok: porcupineVerdict(s.porcupine) };
}

/** `yes` when ours is at most Porcupine's (both medians given), else the ratio ours/Porcupine. */
function atMost(ours: number, porc: number | undefined): string {
  if (porc === undefined) return '-'.padStart(9);
  return (ours <= porc ? 'yes' : `NO ${fmtFixed(ours / porc, 2)}x`).padStart(9);
}

/** Prints the per-class table, the verdict conflicts, and the entry-order stability. */
function report(samples: readonly Sample[], withBase: boolean): void {
  const withPorc = samples.some((s) => s.porcupine !== undefined);
  const classes = [...new Set(samples.map((s) => s.cls))];
  console.log('medians in ms; "cpu<=": ours cpu med <= porc cpu med; "wall<=": ours wall med <= porc wall med; base/ours and porc/ours: CPU medians');
  const head = ['class', 'runs', 'ours cpu', 'ours wall', 'cpu p90', 'undec', 'base cpu', 'undec', 'base/ours', 'porc cpu', 'porc wall', 'undec', 'porc/ours', 'cpu<=', 'wall<=', 'ours+shrink'];
  console.log(head.map((h, i) => (i === 0 ? h.padEnd(18) : h.padStart(i === head.length - 1 ? 12 : 9))).join(' '));
  const cell = (x: number | undefined, digits: number): string => (x === undefined || Number.isNaN(x) ? '-'.padStart(9) : fmtFixed(x, digits, 9));
  for (const cls of classes) {
    const rows = samples.filter((s) => s.cls === cls);
    const med = (pick: (s: Sample) => Timed | undefined, clock: 'ms' | 'wallMs' = 'ms'): number | undefined => {
      const xs = rows.map(pick).filter((t): t is Timed => t !== undefined);
      return xs.length === 0 ? undefined : median(xs.map((t) => budgeted(t, clock)));
    };
    const undecided = (pick: (s: Sample) => Timed | undefined): string => String(rows.filter((s) => pick(s)?.ok === 'unknown').length).padStart(9);
    const ours = med((s) => s.ours)!;
    const oursWall = med((s) => s.ours, 'wallMs')!;
    const base = withBase ? med((s) => s.base) : undefined;
    const porcCpu = withPorc ? med((s) => porcupineTimed(s, 'cpuMs')) : undefined;
    const porcWall = withPorc ? med((s) => porcupineTimed(s, 'wallMs')) : undefined;
    console.log([
      cls.padEnd(18),
      String(rows.length).padStart(9),
      cell(ours, 2),
      cell(oursWall, 2),
      cell(percentile(rows.map((s) => budgeted(s.ours)), 90), 2),
      undecided((s) => s.ours),
      cell(base, 2),
      withBase ? undecided((s) => s.base) : '-'.padStart(9),
      cell(base === undefined ? undefined : base / ours, 1),
      cell(porcCpu, 2),
      cell(porcWall, 2),
      withPorc ? undecided((s) => porcupineTimed(s, 'cpuMs')) : '-'.padStart(9),
      cell(porcCpu === undefined ? undefined : porcCpu / ours, 1),
      atMost(ours, porcCpu),
      atMost(oursWall, porcWall),
      fmtFixed(median(rows.map((s) => s.oursShrinkMs)), 2, 12),
    ].join(' '));
  }
  const undecidedOurs = samples.filter((s) => s.ours.ok === 'unknown');
  console.log(`undecided: ours ${undecidedOurs.length}, baseline ${samples.filter((s) => s.base.ok === 'unknown').length}` +
    ` of ${samples.length} runs (budget ${BUDGET_MS} ms each); decided by the baseline but not by ours: ${undecidedOurs.filter((s) => s.base.ok !== 'unknown').length}`);
  if (withBase) agreement('baseline', samples, (s) => s.base);
  if (withPorc) {
    const porc = samples.filter((s) => s.porcupine !== undefined);
    console.log(`porcupine: ${porc.length} runs; undecided ${porc.filter((s) => s.porcupine!.verdict === 'Unknown').length}; decided by porcupine but not by ours: ` +
      `${undecidedOurs.filter((s) => s.porcupine !== undefined && s.porcupine.verdict !== 'Unknown').map((s) => runKey(s.name, s.order)).join(' ') || 0}`);
    agreement('porcupine (cpu)', porc, (s) => porcupineTimed(s, 'cpuMs')!);
  }
  const unstable = (pick: (s: Sample) => Timed | undefined): number => {
    const byName = new Map<string, Set<Verdict>>();
    for (const s of samples) {
      const t = pick(s);
      if (t !== undefined) byName.set(s.name, (byName.get(s.name) ?? new Set()).add(t.ok));
    }
    return [...byName.values()].filter((v) => v.size > 1).length;
  };
  console.log(`histories whose outcome depends on the entry order: ours ${unstable((s) => s.ours)}${withBase ? `, baseline ${unstable((s) => s.base)}` : ''}` +
    (withPorc ? `, porcupine ${unstable((s) => porcupineTimed(s, 'cpuMs'))}` : ''));
}

/** Prints the verdict conflicts between ours and `other`, and the per-run time ratios where both decided. */
function agreement(label: string, samples: readonly Sample[], other: (s: Sample) => Timed): void {
  const both = samples.filter((s) => s.ours.ok !== 'unknown' && other(s).ok !== 'unknown');
  const conflicts = both.filter((s) => s.ours.ok !== other(s).ok);
  console.log(`verdict conflicts with ${label} where both decided (${both.length} runs): ${conflicts.length}${conflicts.map((s) => ` ${runKey(s.name, s.order)}`).join('')}`);
  const slow = both.filter((s) => s.ours.ms >= 20 || other(s).ms >= 20).map((s) => other(s).ms / s.ours.ms);
  if (slow.length > 0) {
    console.log(`  runs both decided, either taking >= 20 ms: ${slow.length}; ${label}/ours time ratio median ${fmtFixed(median(slow), 1)}x, p10 ${fmtFixed(percentile(slow, 10), 1)}x, p90 ${fmtFixed(percentile(slow, 90), 1)}x`);
  }
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about = 'the linearizability checker over issue 14\'s seeded corpus of histories against the same checker at an earlier commit (BASELINE, extracted from git) and, given its results, Porcupine: time to a verdict per class and undecided histories; target: no conflicting verdicts, ours never slower';

/** Every run of the benchmark: each history, the small classes in several entry orders. */
function runsOf(cases: readonly CorpusCase[]): BenchRun[] {
  return cases.flatMap((c) => {
    const orders = REORDERED.has(c.cls) ? permutations<unknown>(c.history, ORDERS, c.name.length) : [c.history];
    return orders.map((history, order) => ({ c, order, history }));
  });
}

/** Runs the checker benchmark. */
export async function run(): Promise<void> {
  console.log(`linearizability checker: seeded corpus, ${PER_CLASS} per class (+${SIM} simulated clusters), ${ORDERS} entry orders for the small classes, budget ${BUDGET_MS} ms CPU, ours ${PARALLEL ? 'with' : 'without'} \`parallel: true\``);
  const wanted = (process.env['CHECKER_CLASSES'] ?? '').split(',').filter((x) => x !== '');
  const cases = [...syntheticCorpus(14, PER_CLASS), ...(await simCorpus(14, SIM))].filter((c) => wanted.length === 0 || wanted.includes(c.cls));
  const runs = runsOf(cases);
  const exportDir = argOrEnv('export', 'CHECKER_EXPORT');
  if (exportDir !== undefined) {
    exportRuns(exportDir, runs, BUDGET_MS);
    console.log(`exported ${runs.length} runs to ${exportDir} (bench/porcupine/README.md says how to check them with Porcupine)`);
    return;
  }
  const porcupinePath = argOrEnv('porcupine', 'CHECKER_PORCUPINE');
  const porcupine = porcupinePath === undefined ? undefined : readPorcupineResults(porcupinePath);
  const baseline = process.env['CHECKER_BASELINE'] === 'off' ? undefined : await loadBaseline();
  const samples: Sample[] = [];
  // Warm both checkers up (the JIT optimizes a function after many calls) on the small
  // classes before timing anything: WARMUP rounds, each checker alike.
  for (let round = 0; round < WARMUP; round++) {
    for (const c of cases.filter((k) => k.history.length <= 500)) {
      if (baseline !== undefined) timeCheck(baseline.checker, c, c.history, 0);
      timeCheck(ours, c, c.history, 0, PARALLEL);
    }
  }
  try {
    for (const { c, order, history } of runs) {
      // Alternate (base, ours, then ours, base, ...) and keep each one's fastest run, so that
      // neither pays more often for the other's garbage; a run out of budget is not repeated.
      const timeBase = (): Timed => (baseline === undefined ? { ms: NaN, wallMs: NaN, ok: 'unknown' } : timeCheck(baseline.checker, c, history, 0));
      let base = timeBase();
      let mine = timeCheck(ours, c, history, 0, PARALLEL);
      for (let round = 1; round < ROUNDS; round++) {
        if (mine.ok !== 'unknown') mine = faster(mine, timeCheck(ours, c, history, 0, PARALLEL));
        if (base.ok !== 'unknown') base = faster(base, timeBase());
      }
      const withShrink = timeCheck(ours, c, history, undefined, PARALLEL);
      samples.push({ cls: c.cls, name: c.name, order, ours: mine, base, oursShrinkMs: withShrink.ms, porcupine: porcupine?.get(runKey(c.name, order)) });
    }
  } finally {
    baseline?.cleanup();
  }
  report(samples, baseline !== undefined);
}
