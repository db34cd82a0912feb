/**
 * `npm run bench`: runs every `bench/*.bench.ts` module's exported `run()` in sequence (in
 * file-name order). Pass names to run a subset, for example `npm run bench -- raft-core`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run?: () => Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((name) => f.includes(name)))
  .sort();

if (files.length === 0) console.log(`no benchmarks${filter.length > 0 ? ` matching ${filter.join(', ')}` : ''} in ${here}`);
for (const [i, f] of files.entries()) {
  if (i > 0) console.log('');
  const mod = (await import(pathToFileURL(join(here, f)).href)) as BenchModule;
  if (typeof mod.run !== 'function') {
    console.log(`${f}: no exported run(), skipped`);
    continue;
  }
  await mod.run();
}
