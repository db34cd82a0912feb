import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

// The API site as `npm run docs` builds it (typedoc, here as JSON): one module per entry point
// of package.json's `exports`, named as users import it; the guide; and no internal source file
// names in any public page.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };

interface Reflection {
  name: string;
  comment?: unknown;
  children?: Reflection[];
  documents?: { name: string }[];
}
let dir = '';
let project: Reflection;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raftkit-docs-'));
  execFileSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--json', join(dir, 'api.json'), '--emit', 'docs', '--out', join(dir, 'html')], { cwd: root, stdio: 'pipe' });
  project = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as Reflection;
}, 120_000);
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('the modules are named by their entry points', () => {
  const entries = Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
  expect((project.children ?? []).map((c) => c.name).sort()).toEqual(entries.sort());
});

test('the guide is part of the site', () => {
  expect((project.documents ?? []).map((d) => d.name)).toContain('Guide');
});

test('no public page names an internal source file', () => {
  const found: string[] = [];
  const walk = (r: Reflection, path: string): void => {
    // Only what a page shows: the comment's text parts (a link's target records its source file).
    const text = JSON.stringify(r.comment ?? {}, (k, v: unknown) => (k === 'target' ? undefined : v));
    for (const m of text.matchAll(/\b[\w-]+\.ts\b/g)) found.push(`${path}: ${m[0]}`);
    for (const c of r.children ?? []) walk(c, `${path}/${c.name}`);
    for (const [k, v] of Object.entries(r)) {
      if (k === 'children' || k === 'comment' || typeof v !== 'object' || v === null) continue;
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'object' && x !== null && 'name' in x) walk(x as Reflection, `${path}/${(x as Reflection).name}`);
    }
  };
  for (const m of project.children ?? []) walk(m, m.name);
  expect(found).toEqual([]);
});
