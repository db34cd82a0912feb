import { afterAll, beforeAll, expect, test } from 'vitest';
import { etcdctl, parseTable, type CtlResult } from './helpers.js';
import { ports, startProcCluster, type ProcCluster } from './process-cluster.js';

// etcd's runbook for a cluster that lost its quorum for good: restart the survivor with
// `--force-new-cluster`, then grow the cluster again with `etcdctl member add`. Three `raftkit`
// processes with TLS; two are killed with -9 and never come back.

let c: ProcCluster;
beforeAll(async () => {
  c = await startProcCluster(['f1', 'f2', 'f3']);
}, 60_000);
afterAll(async () => {
  await c.close();
});

const ctl = (endpoint: string, ...args: string[]): Promise<CtlResult> => etcdctl([new URL(endpoint).host], [...c.ctlTls, ...args]);

test('the survivor of a lost quorum restarts alone with --force-new-cluster, serves every committed key, and a new member joins it', async () => {
  const f1 = c.procs.get('f1')!;
  for (let i = 0; i < 20; i++) expect((await ctl(f1.client, 'put', `k${String(i)}`, `v${String(i)}`)).code).toBe(0);
  const before = await ctl(f1.client, 'get', 'k', '--prefix', '-w', 'json');
  expect(before.code, before.stderr).toBe(0);
  for (const name of ['f2', 'f3']) {
    c.procs.get(name)!.child.kill('SIGKILL');
    await c.procs.get(name)!.exited;
  }
  // Without a quorum, writes fail.
  expect((await ctl(f1.client, '--command-timeout=1s', 'put', 'stuck', 'x')).code).not.toBe(0);
  f1.child.kill('SIGTERM');
  expect(await f1.exited).toBe(0);
  const initial = ['f1', 'f2', 'f3'].map((n) => `${n}=${c.procs.get(n)!.peer}`).join(',');
  const forced = await c.start('f1', 'new', initial, undefined, ['--force-new-cluster']);
  expect(forced.stderr).toMatch(/"msg":"forcing restart of member as a single-member cluster"/);
  const list = await ctl(forced.client, 'member', 'list', '-w', 'table');
  expect(list.code, list.stderr).toBe(0);
  expect(parseTable(list.stdout).map((r) => r.NAME)).toEqual(['f1']);
  const after = await ctl(forced.client, 'get', 'k', '--prefix', '-w', 'json');
  const kvs = (o: string): unknown => (JSON.parse(o) as { kvs: unknown }).kvs;
  expect(kvs(after.stdout)).toEqual(kvs(before.stdout));
  expect((await ctl(forced.client, 'put', 'after', 'force')).code).toBe(0);
  // Grow again: etcdctl member add, then the new member joins with --initial-cluster-state existing.
  const p4 = await ports();
  const peer4 = `https://127.0.0.1:${String(p4.peer)}`;
  const added = await ctl(forced.client, 'member', 'add', 'f4', `--peer-urls=${peer4}`);
  expect(added.code, added.stderr).toBe(0);
  const f4 = await c.start('f4', 'existing', `f1=${forced.peer},f4=${peer4}`, p4);
  const seen = await ctl(f4.client, 'get', 'after', '--consistency=l', '--print-value-only');
  expect(seen.stdout.trim()).toBe('force');
  // The new member's name shows once it has published it, as in etcd.
  const names = async (): Promise<string[]> => parseTable((await ctl(forced.client, 'member', 'list', '-w', 'table')).stdout).map((r) => r.NAME!).sort();
  for (let i = 0; i < 50 && (await names()).join() !== 'f1,f4'; i++) await new Promise((r) => setTimeout(r, 200));
  expect(await names()).toEqual(['f1', 'f4']);
}, 120_000);
