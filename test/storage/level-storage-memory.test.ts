import { MemoryLevel } from 'memory-level';
import { test } from 'vitest';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { runStorageConformance } from '../../src/testing/conformance/storage-suite.js';

const dbs = new WeakMap<LevelStorage, MemoryLevel<Uint8Array, Uint8Array>>();

function over(db: MemoryLevel<Uint8Array, Uint8Array>): LevelStorage {
  const s = new LevelStorage({ db });
  dbs.set(s, db);
  return s;
}

function dbOf(s: LevelStorage): MemoryLevel<Uint8Array, Uint8Array> {
  return dbs.get(s)!;
}

await runStorageConformance({
  test,
  name: 'LevelStorage(memory-level)',
  factory: () => over(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })),
  reopen: async (s) => {
    await s.close();
    return over(dbOf(s));
  },
  // A crash: the old storage is dropped without close; a new one loads from the same database.
  crash: (s) => over(dbOf(s)),
  teardown: async (s) => {
    await s.close();
    await dbOf(s).close();
  },
});
