import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

// The mechanism of `npm run bench`, not its figures (those are never asserted): every table
// explains itself in one line, and `--json` writes what the tables show.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const modules = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.bench.ts')).sort();

test.each(modules)('bench/%s explains its table in one line', async (file) => {
  const mod = (await import(pathToFileURL(join(root, 'bench', file)).href)) as { about?: unknown; run?: unknown };
  expect(typeof mod.run).toBe('function');
  expect(typeof mod.about).toBe('string');
  expect(mod.about).not.toMatch(/\n/);
  expect((mod.about as string).length).toBeGreaterThan(20);
});

test('npm run bench -- --json writes each table\'s explanation, figures and printed lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-bench-json-'));
  try {
    const out = join(dir, 'results.json');
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench/index.ts'), 'codec', `--json=${out}`], { cwd: root, stdio: 'pipe', timeout: 60_000, env: { ...process.env, BENCH_CODEC_RUNS: '1', BENCH_CODEC_RUN_MS: '5' } });
    const report = JSON.parse(readFileSync(out, 'utf8')) as { node: string; benchmarks: { name: string; about: string; figures: { overheadRatio?: number }; lines: string[] }[] };
    expect(report.node).toBe(process.version);
    expect(report.benchmarks.map((b) => b.name)).toEqual(['codec']);
    const [codec] = report.benchmarks;
    expect(typeof codec!.figures.overheadRatio).toBe('number');
    expect(codec!.lines.some((l) => l.includes('overhead ratio'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
