import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// Every program in examples/ (not the tests, which vitest runs itself, nor the demo folder,
// which has its own tests) runs to completion with exit code 0, as a user would run it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const programs = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();

test('examples/ has programs', () => {
  expect(programs).toEqual(expect.arrayContaining(['custom-transport.ts', 'kv-service.ts', 'ready-loop.ts', 'tls-cluster.ts']));
});

test.each(programs)('examples/%s runs', async (file) => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'examples', file)], { cwd: root, timeout: 60_000 });
  expect(stdout.trim()).not.toBe('');
}, 90_000);
