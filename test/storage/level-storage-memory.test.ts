import { MemoryLevel } from 'memory-level';
import { test } from 'vitest';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { runStorageConformance } from '../../src/testing/conformance/storage-suite.js';

function dbOf(s: LevelStorage): MemoryLevel<Uint8Array, Uint8Array> {
  return s.db as MemoryLevel<Uint8Array, Uint8Array>;
}

await runStorageConformance({
  test,
  name: 'LevelStorage(memory-level)',
  factory: () => new LevelStorage({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) }),
  reopen: async (s) => {
    await s.close();
    return new LevelStorage({ db: dbOf(s) });
  },
  // A crash: the old storage is dropped without close; a new one loads from the same database.
  crash: (s) => new LevelStorage({ db: dbOf(s) }),
  teardown: async (s) => {
    await s.close();
    await s.db?.close();
  },
});
