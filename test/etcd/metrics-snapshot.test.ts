import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEtcd, type EtcdProcess } from '../kv/etcd-backend/real-etcd.js';
import { startKvCluster, until, type KvCluster } from './helpers.js';

// etcd 3.4's snapshot metrics, which raftkit serves from its replica's (see src/etcd/metrics.ts).
const SNAPSHOT_METRICS = [
  'etcd_debugging_snap_save_total_duration_seconds',
  'etcd_debugging_snap_save_marshalling_duration_seconds',
  'etcd_server_snapshot_apply_in_progress_total',
];

/** Each metric's `# TYPE` and, for histograms, its bucket bounds, from a Prometheus text page. */
function shapes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of SNAPSHOT_METRICS) {
    const type = new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1] ?? 'missing';
    const les = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}`, 'gm'))].map((m) => m[1]);
    out.set(name, `${type} ${les.join(',')}`);
  }
  return out;
}

const sample = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

let c: KvCluster;
let etcd: EtcdProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-snapshot-'));
  [c, etcd] = await Promise.all([startKvCluster([1, 2, 3], {}, undefined, undefined, { snapshotEvery: 10 }), startEtcd(join(dir, 'etcd'))]);
});
afterAll(async () => {
  await Promise.all([c.close(), etcd.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test('the snapshot metrics have a real etcd 3.4\'s names, types and buckets', async () => {
  const leader = await c.leader();
  const ours = shapes(await c.servers.get(leader.id)!.metrics.text());
  const theirs = shapes(await (await fetch(`${etcd.clientUrl}/metrics`)).text());
  expect(theirs.get(SNAPSHOT_METRICS[0]!)).toMatch(/^histogram 0\.001,.*,8\.192,\+Inf$/);
  expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
});

test('each member\'s snapshots are counted and timed under etcd\'s names; none is being restored', async () => {
  const leader = await c.leader();
  const kv = c.clients.get(leader.id)!;
  for (let i = 0; i < 25; i++) await kv.put(`snap/${String(i)}`, 'v');
  const server = c.servers.get(leader.id)!;
  await until(async () => sample(await server.metrics.text(), 'etcd_debugging_snap_save_total_duration_seconds_count') >= 2, 'two snapshots on the leader');
  const text = await server.metrics.text();
  expect(sample(text, 'etcd_debugging_snap_save_marshalling_duration_seconds_count')).toBe(sample(text, 'etcd_debugging_snap_save_total_duration_seconds_count'));
  expect(sample(text, 'etcd_debugging_snap_save_marshalling_duration_seconds_sum')).toBeLessThanOrEqual(sample(text, 'etcd_debugging_snap_save_total_duration_seconds_sum'));
  expect(sample(text, 'etcd_server_snapshot_apply_in_progress_total')).toBe(0);
  // etcd exports nothing for its Raft log compaction; raftkit's own counter is served beside (0 here: the default tail keeps 1,000 entries).
  expect(sample(text, 'raft_log_compactions_total')).toBe(0);
});
