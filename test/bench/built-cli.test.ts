import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { builtCli } from '../../bench/built-cli.js';

// The etcd bench runs its members from the built package; it rebuilds only when dist/cli.js is
// missing or older than a file it is built from. Times are set explicitly (no waiting on the clock).
let root = '';
const at = (file: string, seconds: number): void => {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), '');
  utimesSync(join(root, file), seconds, seconds);
};
let builds = 0;
const build = (): void => {
  builds++;
  at('dist/cli.js', 5000);
  at('dist/index.d.ts', 5000);
};
const built = (seconds: number): void => {
  at('dist/cli.js', seconds);
  at('dist/index.d.ts', seconds);
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'raftkit-built-cli-'));
  builds = 0;
  for (const f of ['package.json', 'tsup.config.ts', 'src/index.ts', 'src/etcd/cli/main.ts']) at(f, 1000);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('builds when dist/cli.js is missing, and returns its path', () => {
  const lines: string[] = [];
  expect(builtCli(root, (l) => lines.push(l), build)).toBe(join(root, 'dist', 'cli.js'));
  expect(builds).toBe(1);
  expect(lines[0]).toMatch(/missing or incomplete/);
});

test('does not build when dist/cli.js and dist/index.d.ts are newer than every input', () => {
  built(2000);
  builtCli(root, () => undefined, build);
  expect(builds).toBe(0);
});

test('builds when a stopped build left dist/cli.js without the type declarations (written last)', () => {
  at('dist/cli.js', 2000);
  const lines: string[] = [];
  builtCli(root, (l) => lines.push(l), build);
  expect(builds).toBe(1);
  expect(lines[0]).toMatch(/incomplete/);
});

test.each(['src/etcd/cli/main.ts', 'package.json', 'tsup.config.ts'])('builds again when %s is newer than dist/cli.js', (file) => {
  built(2000);
  at(file, 3000);
  const lines: string[] = [];
  builtCli(root, (l) => lines.push(l), build);
  expect(builds).toBe(1);
  expect(lines[0]).toMatch(/newer/);
});
