import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// npm 11.16+ lists, after every install, the dependencies whose install scripts package.json's
// `allowScripts` has not reviewed, and npm 12 skips those scripts. Every dependency the lockfile
// marks with an install script must therefore have a decision in `allowScripts` (so a fresh
// `npm ci` prints no warning and behaves the same under npm 12), and no decision may outlive
// its package.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

/** The names of the locked packages that have an install script ("node_modules/a/node_modules/b" is b). */
function withInstallScripts(): Set<string> {
  const names = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.hasInstallScript !== true) continue;
    names.add(path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  return names;
}

test('every dependency with an install script has a decision in allowScripts', () => {
  const decided = new Set(Object.keys(pkg.allowScripts ?? {}));
  const scripted = withInstallScripts();
  expect(scripted.size).toBeGreaterThan(0);
  expect([...scripted].filter((name) => !decided.has(name))).toEqual([]);
});

test('allowScripts names no package that is gone or has no install script', () => {
  const scripted = withInstallScripts();
  expect(Object.keys(pkg.allowScripts ?? {}).filter((name) => !scripted.has(name))).toEqual([]);
});

test('the native addons the default storage and the peer codec load may build; nothing else runs', () => {
  // classic-level (LevelDB, the default storage) and msgpackr-extract load a prebuilt binary
  // shipped in their tarball and build one with node-gyp only where none fits; esbuild's
  // postinstall may download a binary and protobufjs's only checks a version scheme, and the
  // tools work without either (checked with `npm ci --ignore-scripts`, a build, the storage tests
  // and the demo).
  const allowed = Object.entries(pkg.allowScripts ?? {}).filter(([, allow]) => allow).map(([name]) => name).sort();
  expect(allowed).toEqual(['classic-level', 'msgpackr-extract']);
});
