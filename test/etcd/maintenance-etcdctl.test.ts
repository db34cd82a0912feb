import { afterAll, beforeAll, expect, test } from 'vitest';
import { etcdctl, startKvCluster, type KvCluster } from './helpers.js';

// Alarms after filling a small quota, defrag and hashkv with the real etcdctl.
let c: KvCluster;
const ctl = (...args: string[]) => etcdctl(c.endpoints(), args);

beforeAll(async () => {
  c = await startKvCluster([1, 2, 3], {}, 64 * 1024);
});
afterAll(async () => {
  await c.close();
});

test('filling the quota raises NOSPACE: writes fail with "database space exceeded", alarm list shows it, disarm clears it', async () => {
  let failed = '';
  for (let i = 0; i < 200 && failed === ''; i++) {
    const r = await ctl('put', `/fill/${i}`, 'x'.repeat(2048));
    if (r.code !== 0) failed = r.stderr;
  }
  expect(failed).toContain('etcdserver: mvcc: database space exceeded');
  const list = await ctl('alarm', 'list');
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toMatch(/memberID:\d+ alarm:NOSPACE/);
  const status = await ctl('endpoint', 'status', '-w', 'json');
  expect(status.stdout).toContain('alarm:NOSPACE');
  await ctl('del', '/fill/', '--prefix');
  const rev = JSON.parse((await ctl('get', 'x', '-w', 'json')).stdout) as { header: { revision: number } };
  expect((await ctl('compaction', '--physical', String(rev.header.revision))).code).toBe(0);
  const defrag = await ctl('defrag');
  expect(defrag.code, defrag.stderr).toBe(0);
  expect(defrag.stdout.split('\n').filter((l) => l.startsWith('Finished defragmenting etcd member'))).toHaveLength(3);
  const disarm = await ctl('alarm', 'disarm');
  expect(disarm.code, disarm.stderr).toBe(0);
  expect(disarm.stdout).toMatch(/memberID:\d+ alarm:NOSPACE/);
  expect((await ctl('alarm', 'list')).stdout.trim()).toBe('');
  expect((await ctl('put', 'after', 'ok')).code).toBe(0);
});

test('endpoint hashkv: every member reports the same hash at the same revision', async () => {
  await ctl('put', 'h', '1');
  const rev = (JSON.parse((await ctl('get', 'h', '-w', 'json')).stdout) as { header: { revision: number } }).header.revision;
  const r = await ctl('endpoint', 'hashkv', '--rev', String(rev), '-w', 'json');
  expect(r.code, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as { HashKV: { hash: number } }[];
  expect(rows).toHaveLength(3);
  expect(new Set(rows.map((x) => x.HashKV.hash)).size).toBe(1);
});
