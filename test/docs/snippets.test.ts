import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Every ```ts block of README.md and of the guide (docs/guide/*.md) is type-checked, and run
// unless it declares something (`declare …`: it leaves pieces to the reader, so it only
// compiles). The text is exactly what is printed, with no prelude: each block is one ES module
// importing `raftkit` and `raftkit/<entry>` (the sources, through tsconfig.json's `paths`),
// run with tsx in a fresh empty folder (for the `./data-N` folders a snippet creates).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const guide = join(root, 'docs/guide');
const documents = ['README.md', ...(existsSync(guide) ? readdirSync(guide).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/guide/${f}`) : [])];

interface Snippet {
  /** Where it is printed: `README.md:42`. */
  where: string;
  /** The module file it is written to. */
  file: string;
  code: string;
  runs: boolean;
}

function extract(doc: string): Snippet[] {
  const text = readFileSync(join(root, doc), 'utf8');
  const out: Snippet[] = [];
  for (const m of text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length + 1;
    const code = m[1]!;
    out.push({ where: `${doc}:${line}`, file: `${basename(doc, '.md')}-${line}.mts`, code, runs: !/^declare /m.test(code) });
  }
  return out;
}

const snippets = documents.flatMap(extract);
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raftkit-snippets-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  for (const s of snippets) writeFileSync(join(dir, s.file), s.code);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions: { noUnusedLocals: false }, include: ['*.mts'] }),
  );
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('README.md has TypeScript snippets, and some of them run', () => {
  expect(snippets.filter((s) => s.where.startsWith('README.md')).length).toBeGreaterThan(0);
  expect(snippets.some((s) => s.runs)).toBe(true);
});

test('every snippet type-checks as printed', () => {
  let output = '';
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    output = String((err as { stdout?: string }).stdout);
  }
  // Name each error by the document line it comes from.
  for (const s of snippets) output = output.replaceAll(s.file, `${s.file} (${s.where})`);
  expect(output).toBe('');
}, 60_000);

test.each(snippets.filter((s) => s.runs).map((s) => [s.where, s] as const))('%s runs as printed', (_where, s) => {
  const cwd = join(dir, s.file.replace('.mts', ''));
  mkdirSync(cwd);
  try {
    execFileSync(process.execPath, ['--import', 'tsx', join(dir, s.file)], {
      cwd,
      stdio: 'pipe',
      timeout: 30_000,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
    });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    expect.fail(`${s.where} failed: ${e.message}\n${String(e.stdout)}${String(e.stderr)}`);
  }
}, 60_000);
