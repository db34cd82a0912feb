import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { runStorageConformance } from '../../src/testing/conformance/storage-suite.js';

const dirs = new WeakMap<WalStorage, string>();
const abandoned: WalStorage[] = [];

// With noSync (etcd's --unsafe-no-fsync) everything but durability against a machine crash is
// the same: the suite's crashes are the process's (the page cache keeps what was written).
for (const noSync of [false, true]) {
  /** Small segments, so that the suite's histories roll over and release segments too. */
  const at = (dir: string): WalStorage => {
    const s = new WalStorage({ dir, segmentSize: 4096, noSync });
    dirs.set(s, dir);
    return s;
  };

  await runStorageConformance({
    test,
    name: noSync ? 'WalStorage noSync' : 'WalStorage',
    factory: () => at(mkdtempSync(join(tmpdir(), 'raftkit-wal-'))),
    reopen: async (s) => {
      await s.close();
      return at(dirs.get(s)!);
    },
    // A crash: the storage is never closed (nothing is flushed; its file handle is left open
    // until teardown) and a new storage opens the same directory.
    crash: (s) => {
      abandoned.push(s);
      return at(dirs.get(s)!);
    },
    teardown: async (s) => {
      await s.close();
      for (const a of abandoned.splice(0)) await a.close();
      rmSync(dirs.get(s)!, { recursive: true, force: true });
    },
  });
}
