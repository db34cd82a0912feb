/**
 * `npm run bench`: runs every `bench/*.bench.ts` module's exported `run()` in sequence (in
 * file-name order). Pass names to run a subset, for example `npm run bench -- raft-core`.
 *
 * A module explains its table in one line by exporting `about` (what is compared, where the
 * reference comes from, what the target is), printed above the table. `--json` (or
 * `--json=<path>`) also writes every table's figures to `bench-results.json` (or `<path>`):
 * what `run()` returns, and the lines it printed.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  about?: string;
  run?: () => Promise<unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const jsonArg = args.find((a) => a === '--json' || a.startsWith('--json='));
const jsonPath = jsonArg === undefined ? undefined : resolve(jsonArg === '--json' ? 'bench-results.json' : jsonArg.slice('--json='.length));
const filter = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((name) => f.includes(name)))
  .sort();

const results: { name: string; about: string | null; figures: unknown; lines: string[] }[] = [];
if (files.length === 0) console.log(`no benchmarks${filter.length > 0 ? ` matching ${filter.join(', ')}` : ''} in ${here}`);
for (const [i, f] of files.entries()) {
  if (i > 0) console.log('');
  const mod = (await import(pathToFileURL(join(here, f)).href)) as BenchModule;
  if (typeof mod.run !== 'function') {
    console.log(`${f}: no exported run(), skipped`);
    continue;
  }
  console.log(`# ${f.replace('.bench.ts', '')}: ${mod.about ?? '(no description: export `about` from this module)'}`);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...xs: unknown[]) => {
    lines.push(xs.map(String).join(' '));
    log(...xs);
  };
  try {
    const figures = await mod.run();
    results.push({ name: f.replace('.bench.ts', ''), about: mod.about ?? null, figures: figures ?? null, lines });
  } finally {
    console.log = log;
  }
}
if (jsonPath !== undefined) {
  const report = { date: new Date().toISOString(), node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, benchmarks: results };
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nfigures written to ${jsonPath}`);
}
