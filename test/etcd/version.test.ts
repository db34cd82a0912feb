import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { RAFTKIT_VERSION } from '../../src/etcd/version.js';

test('RAFTKIT_VERSION is package.json\'s version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(RAFTKIT_VERSION).toBe(pkg.version);
});
