import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The module a worker thread must import first to run `moduleUrl`'s TypeScript siblings: tsx's
 * ESM API (its `register()` installs tsx's loader), when `moduleUrl` is a TypeScript source run
 * under tsx (tests, benchmarks), since Node 20 does not apply a parent's `--import tsx` to a
 * worker's entry; `undefined` for built JavaScript, which a worker runs as it is.
 *
 * @param moduleUrl - the `import.meta.url` of the module that starts the worker, or of its entry.
 */
export function tsxLoaderFor(moduleUrl: string): string | undefined {
  if (!moduleUrl.endsWith('.ts')) return undefined;
  // require resolves tsx's CommonJS twin (index.cjs), next to the ESM one (index.mjs).
  return pathToFileURL(createRequire(moduleUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}
