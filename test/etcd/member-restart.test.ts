import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { etcdctl } from './helpers.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

// The member's data dir (Raft log in member/wal, KV in member/kv, KV batches not fsynced one by
// one) survives kill -9: the restarted member serves every acknowledged write at its revision.
const dir = mkdtempSync(join(tmpdir(), 'raftkit-restart-'));
const running: { kill(): void; exited: Promise<number | null> }[] = [];
afterAll(async () => {
  for (const p of running) p.kill();
  await Promise.all(running.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, client: string, peer: string, extra: string[] = []): Promise<{ kill9(): Promise<void> }> {
  const r = spawnRaftkit([...singleMemberArgs('r1', dataDir, client, peer), ...extra]);
  running.push({ kill: () => r.child.kill('SIGTERM'), exited: r.exited });
  await r.started;
  return {
    async kill9() {
      r.child.kill('SIGKILL');
      await r.exited;
    },
  };
}

describe('raftkit member restart', () => {
  test('after kill -9, a restarted member serves every acknowledged write at its revision', async () => {
    const dataDir = join(dir, 'r1');
    const client = `http://127.0.0.1:${String(await freePort())}`;
    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const ep = [new URL(client).host];
    const first = await start(dataDir, client, peer);
    expect(existsSync(join(dataDir, 'member', 'wal'))).toBe(true);
    expect(existsSync(join(dataDir, 'member', 'kv'))).toBe(true);
    for (let i = 0; i < 25; i++) expect((await etcdctl(ep, ['put', `k${String(i % 10)}`, `v${String(i)}`])).code).toBe(0);
    const before = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);
    expect(before.code, before.stderr).toBe(0);
    await first.kill9();
    await start(dataDir, client, peer);
    const after = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);
    expect(after.code, after.stderr).toBe(0);
    const kvs = (o: string): unknown => (JSON.parse(o) as { kvs: unknown }).kvs;
    expect(kvs(after.stdout)).toEqual(kvs(before.stdout));
    const rev = (o: string): number => (JSON.parse(o) as { header: { revision: number } }).header.revision;
    expect(rev(after.stdout)).toBe(rev(before.stdout));
  }, 60_000);

  test('--wal-dir (an empty mounted directory): the Raft log lives there, none in the data dir; after kill -9 the member serves every write', async () => {
    const dataDir = join(dir, 'r4');
    const walDir = join(dir, 'r4-wal');
    mkdirSync(walDir);
    const client = `http://127.0.0.1:${String(await freePort())}`;
    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const ep = [new URL(client).host];
    const first = await start(dataDir, client, peer, ['--wal-dir', walDir]);
    for (let i = 0; i < 10; i++) expect((await etcdctl(ep, ['put', `w${String(i)}`, `v${String(i)}`])).code).toBe(0);
    expect(readdirSync(walDir).length).toBeGreaterThan(0);
    expect(existsSync(join(dataDir, 'member', 'wal'))).toBe(false);
    await first.kill9();
    await start(dataDir, client, peer, ['--wal-dir', walDir]);
    const after = await etcdctl(ep, ['get', 'w', '--prefix', '--keys-only']);
    expect(after.stdout.split('\n').filter((l) => l !== '')).toEqual(Array.from({ length: 10 }, (_, i) => `w${String(i)}`));
    expect(existsSync(join(dataDir, 'member', 'wal'))).toBe(false);
  }, 60_000);

  test('snapshots by reference every 5 entries (no KV bytes in the Raft snapshot): after kill -9, the restarted member trusts its KV and serves every acknowledged write', async () => {
    const dataDir = join(dir, 'r3');
    const client = `http://127.0.0.1:${String(await freePort())}`;
    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const ep = [new URL(client).host];
    const first = await start(dataDir, client, peer, ['--snapshot-count', '5']);
    for (let i = 0; i < 25; i++) expect((await etcdctl(ep, ['put', `k${String(i % 10)}`, `v${String(i)}`])).code).toBe(0);
    const before = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);
    await first.kill9();
    await start(dataDir, client, peer, ['--snapshot-count', '5']);
    const after = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);
    expect(after.code, after.stderr).toBe(0);
    const kvs = (o: string): unknown => (JSON.parse(o) as { kvs: unknown }).kvs;
    expect(kvs(after.stdout)).toEqual(kvs(before.stdout));
    const saved = await etcdctl(ep, ['snapshot', 'save', join(dir, 'r3.db')]);
    expect(saved.code, saved.stderr).toBe(0);
  }, 60_000);

  test('with an hour-long --backend-batch-interval nothing waits for the KV commit, and after kill -9 the log applies again what the KV never wrote', async () => {
    const dataDir = join(dir, 'r2');
    const client = `http://127.0.0.1:${String(await freePort())}`;
    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const ep = [new URL(client).host];
    const slow = ['--backend-batch-interval', '1h'];
    const first = await start(dataDir, client, peer, slow);
    for (let i = 0; i < 10; i++) expect((await etcdctl(ep, ['put', `k${String(i % 4)}`, `v${String(i)}`])).code).toBe(0);
    // Both need the KV on disk: they write the queue at once instead of waiting out the interval
    // (etcdctl's --command-timeout is 5 s).
    const compacted = await etcdctl(ep, ['compaction', '--physical', '6']);
    expect(compacted.code, compacted.stderr).toBe(0);
    const saved = await etcdctl(ep, ['snapshot', 'save', join(dir, 'r2.db')]);
    expect(saved.code, saved.stderr).toBe(0);
    for (let i = 10; i < 20; i++) expect((await etcdctl(ep, ['put', `k${String(i % 4)}`, `v${String(i)}`])).code).toBe(0);
    const before = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);
    await first.kill9(); // the last ten puts were never written to the KV: only the log has them
    await start(dataDir, client, peer, slow);
    const after = await etcdctl(ep, ['get', 'k', '--prefix', '-w', 'json']);
    expect(after.code, after.stderr).toBe(0);
    const kvs = (o: string): unknown => (JSON.parse(o) as { kvs: unknown }).kvs;
    expect(kvs(after.stdout)).toEqual(kvs(before.stdout));
    const old = await etcdctl(ep, ['get', 'k0', '--rev', '5']);
    expect(old.stderr).toMatch(/required revision has been compacted/);
  }, 60_000);
});
