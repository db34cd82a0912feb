import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ports, singleMemberArgs } from '../etcd/process-cluster.js';
import { MEMBER_SEMI_SPACE_MIB } from '../../src/etcd/cli/member-thread.js';

// The package as a user gets it: a clean copy of the tree (the files git knows, no dist/) is
// packed with `npm pack` (its `prepack` builds), the tarball is installed into an empty project
// with `npm install` (dependencies from the registry), and every entry point of the `exports`
// map is loaded with import and require and type-checked by tsc against the published .d.ts.
// A new entry point in package.json's `exports` is picked up with no change here.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, Record<string, { types: string; default: string }> | string>;
};
const entries = Object.keys(pkg.exports).filter((k) => k !== './package.json');
const specifier = (entry: string): string => (entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`);
const slug = (entry: string): string => (entry === '.' ? 'main' : entry.slice(2).replaceAll('/', '-'));

let work = '';
let project = '';
let installed = '';
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'raftkit-pack-'));
  const tree = join(work, 'tree');
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).split('\0');
  for (const f of listed) {
    if (f === '' || !existsSync(join(root, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(tree, f)), { recursive: true });
    cpSync(join(root, f), join(tree, f));
  }
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules')); // the build tools, as after `npm ci`
  const out = run('npm', ['pack', '--json', '--pack-destination', work], tree);
  // prepack's build logs come first on stdout; the JSON array is the last thing npm prints.
  packed = (JSON.parse(out.slice(out.search(/^\[\s*\{/m))) as (typeof packed)[])[0]!;
  console.log(`packed ${packed.filename}: ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked, ${packed.files.length} files`);

  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'raftkit-smoke', version: '1.0.0', private: true }));
  run('npm', ['install', join(work, packed.filename), '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], project);
  installed = join(project, 'node_modules', pkg.name);
}, 400_000); // 20 s on a quiet machine; minutes when the full suite shares two cores with others
afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
}, 60_000);

test('the tarball holds every file the exports map names, the sources its maps point at, and no tests', () => {
  const files = new Set(packed.files.map((f) => f.path));
  for (const entry of entries) {
    const target = pkg.exports[entry];
    if (target === undefined || typeof target === 'string') continue;
    for (const cond of Object.values(target)) for (const f of [cond.types, cond.default]) expect(files.has(f.replace(/^\.\//, '')), `${entry}: ${f}`).toBe(true);
  }
  expect([...files].filter((f) => /^(test|examples|bench|chaos)\//.test(f))).toEqual([]);
  const maps = [...files].filter((f) => f.endsWith('.map'));
  expect(maps.length).toBeGreaterThan(0);
  for (const map of maps) {
    // Each source is a file of the package (src/…) or carries its text inline (tsup's shim).
    const { sources, sourcesContent } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    for (const [i, s] of sources.entries()) {
      expect(typeof sourcesContent?.[i] === 'string' || existsSync(resolve(dirname(join(installed, map)), s)), `${map} → ${s}`).toBe(true);
    }
  }
});

test('every entry point loads with import and require, exporting the same names', () => {
  for (const entry of entries) {
    const spec = specifier(entry);
    writeFileSync(join(project, `${slug(entry)}.mjs`), `import * as m from '${spec}';\nconsole.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()));\n`);
    writeFileSync(join(project, `${slug(entry)}.cjs`), `console.log(JSON.stringify(Object.keys(require('${spec}')).sort()));\n`);
    const esm = JSON.parse(run(process.execPath, [`${slug(entry)}.mjs`], project)) as string[];
    const cjs = JSON.parse(run(process.execPath, [`${slug(entry)}.cjs`], project)) as string[];
    expect(esm.length, `${spec} exports nothing`).toBeGreaterThan(0);
    expect(cjs, spec).toEqual(esm);
  }
});

test('a single-member cluster elects itself and commits, from both module formats, with one copy of each class', () => {
  const body = (load: string): string => `${load}
const storage = new MemoryStorage({ voters: [1] });
const node = new RaftNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1 });
node.campaign();
const drain = () => { while (node.hasReady()) { const rd = node.ready(); storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot }); node.advance(rd); } };
drain();
node.propose(new TextEncoder().encode('x'));
drain();
const s = node.status();
if (s.raftState !== StateType.Leader || s.commit !== 2) throw new Error('not committed: ' + JSON.stringify(s));
let err; try { decodeMessage(new Uint8Array([9, 9, 9])); } catch (e) { err = e; }
if (!(err instanceof RaftkitError) || err.code !== 'ERR_CODEC') throw new Error('bad error');
if (!(new SimTimeoutError('x') instanceof RaftkitError)) throw new Error('raftkit/testing has its own RaftkitError');
console.log('ok');
`;
  writeFileSync(join(project, 'elect.mjs'), body(`import { MemoryStorage, RaftNode, RaftkitError, StateType, decodeMessage } from 'raftkit';\nimport { SimTimeoutError } from 'raftkit/testing';`));
  writeFileSync(join(project, 'elect.cjs'), body(`const { MemoryStorage, RaftNode, RaftkitError, StateType, decodeMessage } = require('raftkit');\nconst { SimTimeoutError } = require('raftkit/testing');`));
  expect(run(process.execPath, ['elect.mjs'], project).trim()).toBe('ok');
  expect(run(process.execPath, ['elect.cjs'], project).trim()).toBe('ok');
});

test('raftkit/etcd finds its .proto files in the installed package, with require and import', () => {
  writeFileSync(join(project, 'etcd.cjs'), `
const e = require('raftkit/etcd');
if (typeof e.EtcdServer !== 'function' || typeof e.etcdServices().KV.Range.requestSerialize !== 'function') throw new Error('etcd');
import('raftkit/etcd').then((m) => { if (typeof m.etcdServices().Watch.Watch.requestStream === 'boolean') console.log('ok'); });
`);
  expect(run(process.execPath, ['etcd.cjs'], project).trim()).toBe('ok');
});

test("raftkit/testing's parallel check starts its worker threads from the installed package, with require and import", () => {
  // A stale read on each of two keys: the quick pass decides neither, so worker threads search them.
  const body = (load: string): string => `${load}
const history = [];
for (const key of ['a', 'b']) {
  history.push({ clientId: 1, op: 'put', input: { op: 'put', key, value: key + 0 }, call: 0, outcome: 'ok', return: 1, output: { op: 'put' } });
  history.push({ clientId: 1, op: 'put', input: { op: 'put', key, value: key + 1 }, call: 2, outcome: 'ok', return: 3, output: { op: 'put' } });
  history.push({ clientId: 2, op: 'get', input: { op: 'get', key }, call: 4, outcome: 'ok', return: 5, output: { op: 'get', value: key + 0 } });
}
const serial = checkLinearizable(history, kvModel());
const parallel = checkLinearizable(history, kvModel(), { parallel: { minOperations: 0, threads: 2 } });
if (serial.ok !== false || JSON.stringify(parallel) !== JSON.stringify(serial)) throw new Error(JSON.stringify([serial, parallel]));
console.log('ok');
`;
  writeFileSync(join(project, 'parallel.mjs'), body(`import { checkLinearizable, kvModel } from 'raftkit/testing';`));
  writeFileSync(join(project, 'parallel.cjs'), body(`const { checkLinearizable, kvModel } = require('raftkit/testing');`));
  expect(run(process.execPath, ['parallel.mjs'], project).trim()).toBe('ok');
  expect(run(process.execPath, ['parallel.cjs'], project).trim()).toBe('ok');
});

// Each module resolution a user may have: [moduleResolution, module, file extensions]. node10
// (the old `node`) ignores `exports`; package.json's `typesVersions` maps `raftkit/<entry>` to
// `dist/<entry>/index.d.ts` for it.
const resolutions = [
  ['nodenext', 'nodenext', ['.mts', '.cts']],
  ['bundler', 'esnext', ['.ts']],
  ['node10', 'commonjs', ['.ts']],
] as const;

test('tsc type-checks every entry point against the published .d.ts (nodenext ESM and CJS, bundler, node10)', () => {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const [moduleResolution, module, exts] of resolutions) {
    const dir = join(project, `types-${moduleResolution}`);
    mkdirSync(dir);
    const files = exts.flatMap((ext) => [
      ...entries.map((entry) => {
        const file = `${slug(entry)}${ext}`;
        // An entry without types fails here: a module with no declarations is an error under strict.
        writeFileSync(join(dir, file), `import * as m from '${specifier(entry)}';\nexport const names: (keyof typeof m)[] = [];\n`);
        return file;
      }),
      `use${ext}`,
    ]);
    for (const ext of exts) {
      writeFileSync(
        join(dir, `use${ext}`),
        `import { RaftNode, MemoryStorage, type Ready } from 'raftkit';\nimport { SimCluster } from 'raftkit/testing';\nconst node: RaftNode = new RaftNode({ id: 1, storage: new MemoryStorage({ voters: [1] }), electionTick: 10, heartbeatTick: 1 });\nexport const rd: Ready | undefined = node.hasReady() ? node.ready() : undefined;\nexport const start: typeof SimCluster.start = SimCluster.start;\n`,
      );
    }
    const tsconfig = {
      compilerOptions: {
        module,
        moduleResolution,
        target: 'es2022',
        lib: ['es2023'],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        noImplicitAny: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = (() => {
      try {
        run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(result, `${moduleResolution}/${module}`).toBe('');
  }
  expect(readdirSync(project).filter((d) => d.startsWith('types-'))).toHaveLength(resolutions.length);
}, 300_000);

test('the installed `raftkit` command runs the operator runbook (examples/etcdctl.sh) with the real etcdctl', () => {
  const bin = join(project, 'node_modules', '.bin', 'raftkit');
  expect(run(bin, ['--version'], project)).toMatch(/^raftkit Version: /);
  const out = execFileSync('bash', [join(root, 'examples/etcdctl.sh')], { cwd: project, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, RAFTKIT: bin } });
  expect(out.trimEnd().endsWith('runbook: every step passed')).toBe(true);
}, 180_000);

test("the installed `raftkit` command runs its member in its own process with the command's young generation", async () => {
  const p = await ports();
  const args = singleMemberArgs('s1', join(work, 's1.etcd'), `http://127.0.0.1:${p.client}`, `http://127.0.0.1:${p.peer}`);
  const bin = join(project, 'node_modules', '.bin', 'raftkit');
  const child = spawn(bin, args, { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('"member started"')) resolve();
    });
    void exited.then((code) => reject(new Error(`raftkit exited with ${String(code)}: ${err}`)));
  });
  // The pid npm's link started is node running the command itself (env execs it, nothing wraps it).
  const argv = readFileSync(`/proc/${String(child.pid)}/cmdline`, 'utf8').split('\0');
  expect(argv[1]).toBe(bin);
  const started = JSON.parse(err.split('\n').find((l) => l.includes('"member started"'))!) as { heapNewSpaceMiB: number };
  // Its young generation starts at the command's size (V8's own starts at a few MiB).
  expect(started.heapNewSpaceMiB).toBeGreaterThanOrEqual(MEMBER_SEMI_SPACE_MIB);
  child.kill('SIGTERM'); // reaches the member's thread: it stops gracefully
  expect(await exited).toBe(0);
}, 60_000);
