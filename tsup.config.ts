import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'kv/index': 'src/kv/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  minify: false,
  target: 'node20',
  outDir: 'dist',
  // Shared chunks, so `raftkit` and `raftkit/testing` share one copy of every class (instanceof works across them).
  splitting: true,
});
