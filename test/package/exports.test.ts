import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Builds the package the way it is published and imports it as a user would, through the
// `exports` map, with both `import` and `require`.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } } | string>;
};
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raftkit-pkg-'));
  const pkgDir = join(dir, 'node_modules', 'raftkit');
  execFileSync(process.execPath, [join(root, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(pkgDir, 'dist')], { cwd: root, stdio: 'pipe' });
  cpSync(join(root, 'package.json'), join(pkgDir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(pkgDir, 'node_modules'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every file named in the exports map is built', () => {
  const pkgDir = join(dir, 'node_modules', 'raftkit');
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    for (const f of [target.import.types, target.import.default, target.require.types, target.require.default]) {
      expect(existsSync(join(pkgDir, f)), `${entry}: ${f}`).toBe(true);
    }
  }
});

test('raftkit and raftkit/testing load with require and import, sharing one copy of each class', () => {
  const script = `
    const a = require('raftkit'); const t = require('raftkit/testing');
    if (typeof a.RaftNode !== 'function' || typeof a.Replica !== 'function' || typeof t.checkLinearizable !== 'function') throw new Error('missing export');
    import('raftkit').then((m) => { if (m.RaftNode !== undefined && typeof m.RaftkitError === 'function') console.log('ok'); });
  `;
  writeFileSync(join(dir, 'check.cjs'), script);
  expect(execFileSync(process.execPath, [join(dir, 'check.cjs')], { cwd: dir, encoding: 'utf8' }).trim()).toBe('ok');
  const esm = `
    import { RaftkitError, CodecError, decodeMessage } from 'raftkit';
    import { HistoryRecorder } from 'raftkit/testing';
    let err; try { decodeMessage(new Uint8Array([9, 9, 9])); } catch (e) { err = e; }
    if (!(err instanceof CodecError) || !(err instanceof RaftkitError) || err.code !== 'ERR_CODEC') throw new Error('bad error');
    if (typeof HistoryRecorder !== 'function') throw new Error('missing testing export');
    console.log('ok');
  `;
  writeFileSync(join(dir, 'check.mjs'), esm);
  expect(execFileSync(process.execPath, [join(dir, 'check.mjs')], { cwd: dir, encoding: 'utf8' }).trim()).toBe('ok');
});

test('raftkit/etcd loads with require and import and finds its .proto files in the package', () => {
  const cjs = `
    const e = require('raftkit/etcd');
    if (typeof e.EtcdServer !== 'function' || typeof e.etcdServices().KV.Range.requestSerialize !== 'function') throw new Error('etcd');
    import('raftkit/etcd').then((m) => { if (typeof m.etcdServices().Watch.Watch.requestStream === 'boolean') console.log('ok'); });
  `;
  writeFileSync(join(dir, 'etcd.cjs'), cjs);
  expect(execFileSync(process.execPath, [join(dir, 'etcd.cjs')], { cwd: dir, encoding: 'utf8' }).trim()).toBe('ok');
});
