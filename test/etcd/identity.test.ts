import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { parseFlags, type MemberConfig } from '../../src/etcd/cli/flags.js';
import { identityOf, identityPath, MemberIdentityError, readIdentity, resolveIdentity, writeIdentity } from '../../src/etcd/cli/identity.js';
import { runRestore } from '../../src/etcd/cli/restore.js';

// A member's data dir keeps the --initial-* flags of its first start (member/identity.json), as
// etcd's WAL keeps its id and cluster: later starts use it, and report flags that differ.

const root = mkdtempSync(join(tmpdir(), 'raftkit-identity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(argv: string[]): MemberConfig {
  const p = parseFlags(argv);
  if (p.kind !== 'run') throw new Error(p.kind);
  return p.config;
}

const first = config(['--name', 'a', '--initial-cluster', 'a=http://10.0.0.1:2380,b=http://10.0.0.2:2380', '--initial-advertise-peer-urls', 'http://10.0.0.1:2380', '--initial-cluster-token', 't1']);

test('written at the first start, read back as it was; a later start keeps it and reports the --initial-* flags that differ', () => {
  const dir = join(root, 'a');
  expect(readIdentity(dir)).toBeUndefined();
  const id = resolveIdentity(first, undefined, () => undefined);
  writeIdentity(dir, id);
  expect(readIdentity(dir)).toEqual(id);
  const ignored: string[] = [];
  const later = config(['--name', 'a', '--initial-cluster', 'a=http://10.0.0.9:2380', '--initial-advertise-peer-urls', 'http://10.0.0.9:2380', '--initial-cluster-token', 't1']);
  expect(resolveIdentity(later, readIdentity(dir), (flag) => ignored.push(flag))).toEqual(id);
  expect(ignored).toEqual(['initial-cluster', 'initial-advertise-peer-urls']);
  // Flags left out are not reported: etcd's restore runbook starts a member without them.
  const bare = config(['--name', 'a']);
  expect(resolveIdentity(bare, readIdentity(dir), (flag) => ignored.push(flag))).toEqual(id);
  expect(ignored).toHaveLength(2);
});

test('without a stored identity, the flags must place the member in its initial cluster', () => {
  // (`--name zz` alone places it, as etcd's default initial cluster does: zz at its advertised peer URLs.)
  expect(() => resolveIdentity(config(['--name=']), undefined, () => undefined)).toThrow(/couldn't find local name ""/);
  expect(() => resolveIdentity(config(['--initial-advertise-peer-urls', 'http://10.0.0.9:2380']), undefined, () => undefined)).toThrow(/--initial-cluster has default=http:\/\/localhost:2380 but missing from --initial-advertise-peer-urls=http:\/\/10.0.0.9:2380/);
  expect(() => resolveIdentity(config(['--name', 'zz']), undefined, () => undefined)).not.toThrow();
  expect(identityOf(first)).toMatchObject({ name: 'a', initialClusterToken: 't1', initialClusterState: 'new', initialCluster: { a: ['http://10.0.0.1:2380'], b: ['http://10.0.0.2:2380'] } });
});

test('a file that is not an identity is refused, naming the file', () => {
  const dir = join(root, 'bad');
  mkdirSync(join(dir, 'member'), { recursive: true });
  for (const text of ['{', JSON.stringify({ name: 'a' }), JSON.stringify({ ...identityOf(first), initialClusterState: 'maybe' })]) {
    writeFileSync(identityPath(dir), text);
    expect(() => readIdentity(dir)).toThrow(MemberIdentityError);
    expect(() => readIdentity(dir)).toThrow(identityPath(dir));
  }
});

test('raftkit restore refuses membership flags etcd would refuse, before touching the data dir', async () => {
  const lines: string[] = [];
  const code = await runRestore(['snap.db', '--name', 'x', '--initial-cluster', 'a=http://127.0.0.1:2380', '--data-dir', join(root, 'never')], (l) => lines.push(l));
  expect(code).toBe(2);
  expect(lines.join('\n')).toMatch(/couldn't find local name "x"/);
  expect(await runRestore(['snap.db', '--name'], (l) => lines.push(l))).toBe(2);
});
