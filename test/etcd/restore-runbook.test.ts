import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { EtcdServer } from '../kv/etcd-server.js';
import { etcdctl, parseTable } from './helpers.js';
import { freePort, raftkitRestore, spawnRaftkit } from './process-cluster.js';
import { identityPath } from '../../src/etcd/cli/identity.js';

// etcd's disaster-recovery runbook, verbatim but for the command names: a snapshot of a real
// etcd 3.4, restored once per member with etcdctl's membership flags, then each member started
// with its name, data dir and listen URLs only (the restored data dir keeps its cluster). Then a
// restart with other --initial-* flags keeps the member's identity, as etcd ignores them after
// the first start.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-restore-runbook-'));
const running: ReturnType<typeof spawnRaftkit>[] = [];
let etcd: EtcdServer | undefined;
afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await Promise.all(running.map((r) => r.exited));
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const kvs = (out: string): unknown => (JSON.parse(out) as { kvs: unknown[] }).kvs;

test('an etcd snapshot restored into three raftkit members as etcd\'s runbook does: they start without --initial-* flags and serve every key', async () => {
  etcd = await EtcdServer.start();
  const source = [new URL(etcd.url).host];
  for (let i = 0; i < 20; i++) expect((await etcdctl(source, ['put', `r${String(i % 7)}`, `v${String(i)}`])).code).toBe(0);
  const before = await etcdctl(source, ['get', 'r', '--prefix', '-w', 'json']);
  const file = join(dir, 'etcd.db');
  expect((await etcdctl(source, ['snapshot', 'save', file])).code).toBe(0);

  const names = ['m1', 'm2', 'm3'];
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort() })));
  const peer = (i: number): string => `http://127.0.0.1:${String(ports[i]!.peer)}`;
  const client = (i: number): string => `http://127.0.0.1:${String(ports[i]!.client)}`;
  const cluster = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  for (const [i, n] of names.entries()) {
    const r = await raftkitRestore([file, '--name', n, '--initial-cluster', cluster, '--initial-cluster-token', 'etcd-cluster-1', '--initial-advertise-peer-urls', peer(i), '--data-dir', join(dir, n)]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`member ${n} of m1, m2, m3 (token etcd-cluster-1)`);
  }
  const start = (i: number, extra: string[] = []): ReturnType<typeof spawnRaftkit> => {
    const r = spawnRaftkit(['--name', names[i]!, '--data-dir', join(dir, names[i]!), '--listen-client-urls', client(i), '--advertise-client-urls', client(i), '--listen-peer-urls', peer(i), '--heartbeat-interval', '20', '--election-timeout', '200', ...extra]);
    running.push(r);
    return r;
  };
  const members = names.map((_, i) => start(i));
  await Promise.all(members.map((m) => m.started));
  const endpoints = names.map((_, i) => new URL(client(i)).host);
  for (const ep of endpoints) {
    const got = await etcdctl([ep], ['get', 'r', '--prefix', '-w', 'json']);
    expect(got.code, got.stderr).toBe(0);
    expect(kvs(got.stdout)).toEqual(kvs(before.stdout));
  }
  const list = async (): Promise<string[]> => parseTable((await etcdctl([endpoints[0]!], ['member', 'list', '-w', 'table'])).stdout).map((r) => `${r.NAME!} ${r['PEER ADDRS']!}`).sort();
  expect(await list()).toEqual(names.map((n, i) => `${n} ${peer(i)}`));
  expect((await etcdctl(endpoints, ['put', 'after', 'restore'])).code).toBe(0);

  // A restart with other --initial-* flags: the data dir's identity is kept, the flags are reported as ignored.
  const identity = readFileSync(identityPath(join(dir, 'm2')), 'utf8');
  members[1]!.child.kill('SIGTERM');
  expect(await members[1]!.exited).toBe(0);
  const again = start(1, ['--initial-cluster', `m2=${peer(1)}`, '--initial-cluster-token', 'other-token', '--initial-advertise-peer-urls', peer(1)]);
  await again.started;
  expect(again.output()).toMatch(/"msg":"flag ignored: the member's data dir keeps the value of its first start","flag":"initial-cluster"/);
  expect(again.output()).toMatch(/"flag":"initial-cluster-token","given":"other-token","kept":"etcd-cluster-1"/);
  expect(readFileSync(identityPath(join(dir, 'm2')), 'utf8')).toBe(identity);
  const seen = await etcdctl([endpoints[1]!], ['get', 'after', '--print-value-only']);
  expect(seen.stdout.trim()).toBe('restore');
  expect(await list()).toEqual(names.map((n, i) => `${n} ${peer(i)}`));
}, 120_000);
