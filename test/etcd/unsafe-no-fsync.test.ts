import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, expect, test } from 'vitest';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// `--unsafe-no-fsync` (etcd 3.5): the member warns at start, serves puts and gets, and fsyncs
// nothing: etcd_disk_wal_fsync_duration_seconds counts no fsync (etcd's WAL observes none in
// that mode), while the writes it would have flushed happen (etcd_disk_wal_write_bytes_total).

const dir = mkdtempSync(join(tmpdir(), 'raftkit-nofsync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The value of the sample `name` (without labels) in Prometheus text. */
function sample(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

test('a member with --unsafe-no-fsync warns, serves puts and gets, and counts no WAL fsync', async () => {
  const client = `http://127.0.0.1:${String(await freePort())}`;
  const peer = `http://127.0.0.1:${String(await freePort())}`;
  const metrics = `http://127.0.0.1:${String(await freePort())}`;
  const m = spawnRaftkit([...singleMemberArgs('nofsync', join(dir, 'nofsync'), client, peer), '--listen-metrics-urls', metrics, '--unsafe-no-fsync']);
  const etcd = new Etcd3({ hosts: client });
  try {
    await m.started;
    expect(m.output()).toMatch(/"level":"warn".*"msg":"non-fsync mode enabled \(--unsafe-no-fsync\): unsafe/);
    for (let i = 0; i < 5; i++) await etcd.put(`k${i}`).value(`v${i}`);
    expect(await etcd.get('k4').string()).toBe('v4');
    const text = await (await fetch(`${metrics}/metrics`)).text();
    expect(sample(text, 'etcd_disk_wal_fsync_duration_seconds_count')).toBe(0);
    expect(sample(text, 'etcd_disk_wal_write_bytes_total')).toBeGreaterThan(0);
  } finally {
    etcd.close();
    m.child.kill('SIGKILL');
    await m.exited;
  }
}, 30_000);
