import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { snapshotStatus } from '../../src/kv/etcd-backend/status.js';
import { etcdctl } from './helpers.js';
import { freePort, raftkitRestore, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// The seed runbook's snapshot commands against a `raftkit` process, then `raftkit restore` and a
// new member started on the restored data dir: etcdctl snapshot save / status unchanged.
const dir = mkdtempSync(join(tmpdir(), 'raftkit-runbook-snap-'));
const running: { kill(): void; exited: Promise<number | null> }[] = [];
afterAll(async () => {
  for (const p of running) p.kill();
  await Promise.all(running.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

async function member(dataDir: string): Promise<string> {
  const client = `http://127.0.0.1:${String(await freePort())}`;
  const peer = `http://127.0.0.1:${String(await freePort())}`;
  const r = spawnRaftkit(singleMemberArgs('m1', dataDir, client, peer));
  running.push({ kill: () => r.child.kill('SIGTERM'), exited: r.exited });
  await r.started;
  return client;
}

describe('runbook: etcdctl snapshot save/status against raftkit, raftkit restore', () => {
  test('save, status (table and json), restore into a new member that serves the same keys and revisions', async () => {
    const url = await member(join(dir, 'm1'));
    const ep = [new URL(url).host];
    for (let i = 0; i < 30; i++) expect((await etcdctl(ep, ['put', `k${String(i % 10)}`, `v${String(i)}`])).code).toBe(0);
    expect((await etcdctl(ep, ['del', 'k3'])).code).toBe(0);
    const before = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);

    const file = join(dir, 'snapshotdb');
    const save = await etcdctl(ep, ['snapshot', 'save', file]);
    expect(save.code, save.stderr).toBe(0);
    expect(save.stdout).toContain(`Snapshot saved at ${file}`);
    const table = await etcdctl(ep, ['--write-out=table', 'snapshot', 'status', file]);
    expect(table.code, table.stderr).toBe(0);
    const ours = await snapshotStatus(file);
    expect(table.stdout).toContain(ours.hash.toString(16));
    const json = JSON.parse((await etcdctl(ep, ['-w', 'json', 'snapshot', 'status', file])).stdout) as unknown;
    expect(json).toEqual(ours);
    expect(ours.revision).toBe(32);

    const restored = join(dir, 'restored');
    const r = await raftkitRestore([file, '--data-dir', restored]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('sha256 verified');
    const url2 = await member(restored);
    const after = await etcdctl([new URL(url2).host], ['get', 'k', '--prefix', '-w', 'json']);
    const kvs = (s: string): unknown => (JSON.parse(s) as { kvs: unknown[] }).kvs;
    expect(kvs(after.stdout)).toEqual(kvs(before.stdout));

    // etcd's runbook restores with etcdctl: a raftkit member started on that etcd data dir refuses
    // it (it would serve an empty keyspace) and says how to move the keys, and that way works.
    const etcdDir = join(dir, 'etcd-restored');
    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const ctl = await etcdctl([], ['snapshot', 'restore', file, '--data-dir', etcdDir, '--name', 'm1', '--initial-cluster', `m1=${peer}`, '--initial-advertise-peer-urls', peer]);
    expect(ctl.code, ctl.stderr).toBe(0);
    const refused = spawnRaftkit(singleMemberArgs('m1', etcdDir, `http://127.0.0.1:${String(await freePort())}`, peer));
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(`holds an etcd member's data`);
    expect(existsSync(join(etcdDir, 'member', 'kv'))).toBe(false);
    const moved = join(dir, 'moved');
    // A backend file has no SHA-256 trailer: refused without --skip-hash-check, as etcdctl refuses it.
    const unchecked = await raftkitRestore([join(etcdDir, 'member', 'snap', 'db'), '--data-dir', moved]);
    expect(unchecked.code).toBe(1);
    expect(unchecked.out).toContain('snapshot missing hash but --skip-hash-check=false');
    const m = await raftkitRestore([join(etcdDir, 'member', 'snap', 'db'), '--skip-hash-check', '--data-dir', moved]);
    expect(m.code, m.out).toBe(0);
    expect(m.out).toContain('no sha256 trailer');
    const url3 = await member(moved);
    const third = await etcdctl([new URL(url3).host], ['get', 'k', '--prefix', '-w', 'json']);
    expect(kvs(third.stdout)).toEqual(kvs(before.stdout));
  }, 120_000);
});
