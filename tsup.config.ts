import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'kv/index': 'src/kv/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Maps point at the TypeScript sources, which the package ships (`files` has src/), so
  // `sources` resolve; their text is not repeated inside the maps.
  sourcemap: true,
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  minify: false,
  target: 'node20',
  outDir: 'dist',
  // Shared chunks, so `raftkit` and `raftkit/testing` share one copy of every class (instanceof works across them).
  splitting: true,
});
