import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { afterEach } from 'vitest';
import type { AnyLevel } from '../../src/storage/level-load.js';

/**
 * The databases a KV test runs on, by name: memory-level, and classic-level in a temporary
 * directory removed after each test (registers the `afterEach` that removes them).
 */
export function levelDatabases(prefix: string): [string, () => AnyLevel][] {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return [
    ['memory-level', () => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })],
    [
      'classic-level',
      () => {
        const dir = mkdtempSync(join(tmpdir(), prefix));
        dirs.push(dir);
        return new ClassicLevel<Uint8Array, Uint8Array>(join(dir, 'db'), { keyEncoding: 'view', valueEncoding: 'view' });
      },
    ],
  ];
}
