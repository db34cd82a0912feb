import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// Every error code raftkit's sources construct (`super('ERR_…'`) has a row in the README's
// Errors table, and every row names a code that exists.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('the README error table lists exactly the codes raftkit throws', () => {
  const thrown = new Set(sources(join(root, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/super\(\s*'(ERR_[A-Z_]+)'/g)].map((m) => m[1]!)));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = new Set([...readme.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]!));
  expect(thrown.size).toBeGreaterThan(10);
  expect([...thrown].filter((c) => !table.has(c)).sort(), 'codes missing from the README table').toEqual([]);
  expect([...table].filter((c) => !thrown.has(c)).sort(), 'README rows for codes nothing throws').toEqual([]);
});
