/**
 * The linearizability checker over the seeded corpus of issue 14 (test/testing/linearizability/
 * corpus.ts): per class, the time to a verdict (median, p90) and the number undecided within a
 * budget, for this checker and for the baseline (the checker as it was at BASELINE, extracted
 * from git into a temp dir and run in the same process, alternating history by history), with
 * the ratio baseline/ours. Verdicts must agree wherever both decide; conflicts are printed.
 *
 * Times and budgets are CPU time of this process (the machine is shared). Timings exclude
 * shrinking (`shrinkSteps: 0`); a last column gives ours with the default shrinking. Each checker runs twice per history (alternating) and keeps its faster run.
 * Environment: CHECKER_CLASSES (comma-separated classes; default all), CHECKER_BUDGET_MS (default 2000), CHECKER_PER_CLASS (default 3),
 * CHECKER_ORDERS (entry orders per history of the small hard classes, default 5), CHECKER_SIM
 * (simulated-cluster histories, default 4).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ours from '../src/testing/linearizability/index.js';
import { permutations, simCorpus, syntheticCorpus, type CorpusCase, type CorpusClass } from '../test/testing/linearizability/corpus.js';
import { fmtFixed, median, percentile } from './util.js';

/** The commit whose checker is the baseline (the last one before issue 14's rewrite). */
const BASELINE = 'f07ed6ec7beb556d8f8ec6be9b59dca251066f7c';
const BUDGET_MS = Number(process.env['CHECKER_BUDGET_MS'] ?? 2000);
const PER_CLASS = Number(process.env['CHECKER_PER_CLASS'] ?? 3);
const ORDERS = Number(process.env['CHECKER_ORDERS'] ?? 5);
const SIM = Number(process.env['CHECKER_SIM'] ?? 4);
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

/** One timed check: milliseconds and verdict. */
interface Timed {
  ms: number;
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

function faster(a: Timed, b: Timed): Timed {
  return b.ms < a.ms ? b : a;
}

function timeCheck(checker: Checker, c: CorpusCase, history: readonly unknown[], shrinkSteps?: number): Timed {
  const options = { timeLimit: BUDGET_MS, now: cpuMs, ...(shrinkSteps === undefined ? {} : { shrinkSteps }) };
  const start = cpuMs();
  const result =
    c.model === 'kv'
      ? checker.checkLinearizable(history as typeof c.history, checker.kvModel(), options)
      : checker.checkLinearizable(history as typeof c.history, checker.registerModel(), options);
  return { ms: cpuMs() - start, ok: result.ok };
}

/** Prints the per-class table, the verdict conflicts, and the entry-order stability. */
function report(samples: readonly Sample[], withBase: boolean): void {
  const classes = [...new Set(samples.map((s) => s.cls))];
  const head = ['class', 'runs', 'ours med', 'ours p90', 'undec', 'base med', 'base p90', 'undec', 'base/ours', 'ours+shrink med'];
  console.log(head.map((h, i) => (i === 0 ? h.padEnd(18) : h.padStart(i === 9 ? 16 : 9))).join(' '));
  for (const cls of classes) {
    const rows = samples.filter((s) => s.cls === cls);
    const undecided = (side: 'ours' | 'base'): number => rows.filter((s) => s[side].ok === 'unknown').length;
    // Medians over all runs, an undecided run counting as the full budget.
    const all = (side: 'ours' | 'base'): number[] => rows.map((s) => (s[side].ok === 'unknown' ? BUDGET_MS : s[side].ms));
    const cells = [
      cls.padEnd(18),
      String(rows.length).padStart(9),
      fmtFixed(median(all('ours')), 2, 9),
      fmtFixed(percentile(all('ours'), 90), 2, 9),
      String(undecided('ours')).padStart(9),
      withBase ? fmtFixed(median(all('base')), 2, 9) : '-'.padStart(9),
      withBase ? fmtFixed(percentile(all('base'), 90), 2, 9) : '-'.padStart(9),
      withBase ? String(undecided('base')).padStart(9) : '-'.padStart(9),
      withBase ? fmtFixed(median(all('base')) / median(all('ours')), 1, 9) : '-'.padStart(9),
      fmtFixed(median(rows.map((s) => s.oursShrinkMs)), 2, 16),
    ];
    console.log(cells.join(' '));
  }
  const both = samples.filter((s) => s.ours.ok !== 'unknown' && s.base.ok !== 'unknown');
  const conflicts = both.filter((s) => s.ours.ok !== s.base.ok);
  const slow = both.filter((s) => s.ours.ms >= 20 || s.base.ms >= 20).map((s) => s.base.ms / s.ours.ms);
  console.log(`undecided: ours ${samples.filter((s) => s.ours.ok === 'unknown').length}, baseline ${samples.filter((s) => s.base.ok === 'unknown').length}` +
    ` of ${samples.length} runs (budget ${BUDGET_MS} ms each); decided by the baseline but not by ours: ${samples.filter((s) => s.ours.ok === 'unknown' && s.base.ok !== 'unknown').length}`);
  if (withBase) {
    console.log(`verdict conflicts where both decided: ${conflicts.length}${conflicts.map((s) => ` ${s.name}#${s.order}`).join('')}`);
    if (slow.length > 0) {
      console.log(`runs both decided, either taking >= 20 ms: ${slow.length}; baseline/ours time ratio median ${fmtFixed(median(slow), 1)}x, p10 ${fmtFixed(percentile(slow, 10), 1)}x, p90 ${fmtFixed(percentile(slow, 90), 1)}x`);
    }
  }
  const unstable = (side: 'ours' | 'base'): number => {
    const byName = new Map<string, Set<Verdict>>();
    for (const s of samples) byName.set(s.name, (byName.get(s.name) ?? new Set()).add(s[side].ok));
    return [...byName.values()].filter((v) => v.size > 1).length;
  };
  console.log(`histories whose outcome depends on the entry order: ours ${unstable('ours')}${withBase ? `, baseline ${unstable('base')}` : ''}`);
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about = 'the linearizability checker over issue 14\'s seeded corpus of histories against the same checker at an earlier commit (BASELINE, extracted from git): time to a verdict per class and undecided histories; target: no conflicting verdicts, ours never slower';

/** Runs the checker benchmark. */
export async function run(): Promise<void> {
  console.log(`linearizability checker: seeded corpus, ${PER_CLASS} per class (+${SIM} simulated clusters), ${ORDERS} entry orders for the small classes, budget ${BUDGET_MS} ms`);
  const wanted = (process.env['CHECKER_CLASSES'] ?? '').split(',').filter((x) => x !== '');
  const cases = [...syntheticCorpus(14, PER_CLASS), ...(await simCorpus(14, SIM))].filter((c) => wanted.length === 0 || wanted.includes(c.cls));
  const baseline = await loadBaseline();
  const samples: Sample[] = [];
  // Warm both checkers up (JIT) on the small classes before timing anything.
  for (const c of cases.filter((k) => k.history.length <= 500)) {
    if (baseline !== undefined) timeCheck(baseline.checker, c, c.history, 0);
    timeCheck(ours, c, c.history, 0);
  }
  try {
    for (const c of cases) {
      const orders = REORDERED.has(c.cls) ? permutations<unknown>(c.history, ORDERS, c.name.length) : [c.history];
      for (const [order, history] of orders.entries()) {
        // Alternate (base, ours, ours, base) and keep each one's faster run, so that neither
        // pays more often for the other's garbage; a run out of budget is not repeated.
        const timeBase = (): Timed => (baseline === undefined ? { ms: NaN, ok: 'unknown' } : timeCheck(baseline.checker, c, history, 0));
        const base1 = timeBase();
        const mine1 = timeCheck(ours, c, history, 0);
        const mine = mine1.ok === 'unknown' ? mine1 : faster(mine1, timeCheck(ours, c, history, 0));
        const base = base1.ok === 'unknown' ? base1 : faster(base1, timeBase());
        const withShrink = timeCheck(ours, c, history);
        samples.push({ cls: c.cls, name: c.name, order, ours: mine, base, oursShrinkMs: withShrink.ms });
      }
    }
  } finally {
    baseline?.cleanup();
  }
  report(samples, baseline !== undefined);
}
