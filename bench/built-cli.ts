/**
 * The `raftkit` command as users run it: the package's built `dist/cli.js` (package.json `bin`),
 * rebuilt with `npm run build` when it is missing or older than any file it is built from. Benches
 * that start member processes use it, so they measure the code users run rather than the sources
 * under tsx (whose esbuild transform differs: `keepNames` wraps every named closure, and each
 * module is its own file instead of tsup's shared chunks).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time (ms) of the files the build reads: src/**, package.json, tsup.config.ts. */
function newestInput(root: string): number {
  let newest = 0;
  for (const f of ['package.json', 'tsup.config.ts']) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  for (const entry of readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Modification time (ms) of `file`, or undefined when it does not exist. */
function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Builds the package in `root` with `npm run build`; throws with the build's output when it fails. */
function npmRunBuild(root: string): void {
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed (status ${String(r.status)}):\n${r.stdout}${r.stderr}`);
}

/**
 * The path of the built CLI under `root`, after building the package (`build`, by default
 * `npm run build`: tsup, 25-50 s on 2 cores, most of it the .d.ts files) if dist/cli.js or
 * dist/index.d.ts (written last) is missing or older than any of its inputs. `log` says when and
 * why it builds.
 */
export function builtCli(root: string, log: (line: string) => void, build: (root: string) => void = npmRunBuild): string {
  const cli = join(root, 'dist', 'cli.js');
  // The type declarations are written last: a build stopped before them left no complete package.
  const times = [mtime(cli), mtime(join(root, 'dist', 'index.d.ts'))];
  const built = times.includes(undefined) ? undefined : Math.min(...(times as number[]));
  if (built !== undefined && built >= newestInput(root)) return cli;
  log(`building the package (${built === undefined ? 'dist/ is missing or incomplete' : 'its sources are newer than dist/'}): npm run build`);
  const t0 = performance.now();
  build(root);
  log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return cli;
}
