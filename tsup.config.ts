import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'kv/index': 'src/kv/index.ts',
    'etcd/index': 'src/etcd/index.ts',
    // The `raftkit` command (package.json `bin`).
    cli: 'src/etcd/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Maps point at the TypeScript sources, which the package ships (`files` has src/), so
  // `sources` resolve; their text is not repeated inside the maps.
  sourcemap: true,
  esbuildOptions(options, context) {
    options.sourcesContent = false;
    // raftkit/etcd finds its .proto files from import.meta.url; the CommonJS build gets it
    // from __filename (tsup's own shims would add a source that is not in the package).
    if (context.format === 'cjs') {
      options.define = { ...options.define, 'import.meta.url': 'importMetaUrl' };
      options.banner = { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' };
    }
  },
  clean: true,
  minify: false,
  target: 'node20',
  outDir: 'dist',
  // Shared chunks, so `raftkit` and `raftkit/testing` share one copy of every class (instanceof works across them).
  splitting: true,
  // raftkit/etcd loads etcd's .proto files at run time: they are copied into the output directory.
  publicDir: 'src/etcd/proto',
});
