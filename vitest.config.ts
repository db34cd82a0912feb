import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // Examples and README snippets import `raftkit` and `raftkit/<entry>` as users do; here they
  // are the sources (tsconfig.json's `paths` does the same for tsc and tsx).
  resolve: {
    alias: [
      { find: /^raftkit$/, replacement: `${src}index.ts` },
      { find: /^raftkit\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    retry: 0,
    testTimeout: 60_000,
    // Two test files at a time, on CI's two cores too: most of the long files wait on member
    // processes, etcd and timers rather than compute (on a 2-core VM, 2026-12-07: 7 min 51 s of
    // tests this way, 12 min 16 s one at a time). Each worker picks ports from its own part of
    // the range (freePort in examples/kv-cluster/driver.ts), so two files never take the same one.
    maxWorkers: 2,
    coverage: {
      provider: 'v8',
      include: ['src/**'],
    },
  },
});
