import { defineConfig } from 'vitest/config';

export default defineConfig({
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
