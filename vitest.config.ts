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
    coverage: {
      provider: 'v8',
      include: ['src/**'],
    },
  },
});
