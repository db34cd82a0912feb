import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

async function start(dataDir: string, client: string, peer: string): Promise<{ kill9(): Promise<void> }> {
  const r = spawnRaftkit(singleMemberArgs('r1', dataDir, client, peer));
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
});
