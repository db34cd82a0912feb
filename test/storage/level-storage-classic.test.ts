import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { test } from 'vitest';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { runStorageConformance } from '../../src/testing/conformance/storage-suite.js';

const paths = new WeakMap<LevelStorage, string>();

function at(path: string): LevelStorage {
  const s = new LevelStorage({ path });
  paths.set(s, path);
  return s;
}

await runStorageConformance({
  test,
  name: 'LevelStorage(classic-level)',
  factory: () => at(mkdtempSync(join(tmpdir(), 'raftkit-storage-'))),
  reopen: async (s) => {
    await s.close();
    return at(paths.get(s)!);
  },
  // A crash: the storage is never closed; only LevelDB's handle is released (it holds the
  // directory lock), and a new storage opens the same path.
  crash: async (s) => {
    await (s.db as ClassicLevel<Uint8Array, Uint8Array>).close();
    return at(paths.get(s)!);
  },
  teardown: async (s) => {
    await s.close();
    rmSync(paths.get(s)!, { recursive: true, force: true });
  },
});
