import { test } from 'vitest';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { runStorageConformance } from '../../src/testing/conformance/storage-suite.js';

await runStorageConformance({
  test,
  name: 'MemoryStorage',
  factory: () => new MemoryStorage(),
  // A MemoryStorage keeps its contents across close and open, which models a clean restart.
  reopen: (s) => {
    s.close();
    return s;
  },
});
