import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { etcdctl, untilValue } from './helpers.js';
import { freePort, spawnRaftkit } from './process-cluster.js';

// The same etcd config file (YAML, with a setting raftkit lacks) starts a real etcd 3.4 and a
// `raftkit` member, each given a --name the file overrides (etcd ignores the other flags when a
// config file is given). Both serve under the file's name, URLs and cluster token.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-config-diff-'));
const stops: (() => void)[] = [];
afterAll(() => {
  for (const s of stops) s();
  rmSync(dir, { recursive: true, force: true });
});

async function configFile(side: string): Promise<{ path: string; client: string }> {
  const [cp, pp] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${String(cp)}`;
  const peer = `http://127.0.0.1:${String(pp)}`;
  const path = join(dir, `${side}.yml`);
  writeFileSync(path, [
    `name: 'from-file'`, `data-dir: ${join(dir, side)}`, `listen-client-urls: ${client}`, `advertise-client-urls: ${client}`,
    `listen-peer-urls: ${peer}`, `initial-advertise-peer-urls: ${peer}`, `initial-cluster: from-file=${peer}`, `initial-cluster-token: 'file-token'`,
    'heartbeat-interval: 50', 'election-timeout: 500', 'max-wals: 5', 'discovery-fallback: proxy', 'cluster-active-size: 9', 'log-level: info', 'logger: zap', '',
  ].join('\n'));
  return { path, client };
}

test('one config file starts etcd and raftkit alike; the other flags are ignored', async () => {
  const etcdSide = await configFile('etcd');
  const etcd = spawn('etcd', ['--config-file', etcdSide.path, '--name', 'from-flag'], { stdio: 'ignore' });
  stops.push(() => etcd.kill('SIGKILL'));
  const raftkitSide = await configFile('raftkit');
  const rk = spawnRaftkit(['--config-file', raftkitSide.path, '--name', 'from-flag']);
  stops.push(() => rk.child.kill('SIGKILL'));
  await rk.started;
  const members = async (client: string): Promise<{ name: string; clientURLs: string[] }[]> => untilValue(`member list on ${client}`, async () => {
    const r = await etcdctl([new URL(client).host], ['member', 'list', '-w', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { members: { name: string; clientURLs: string[] }[] }).members : undefined;
  });
  const [e, r] = [await members(etcdSide.client), await members(raftkitSide.client)];
  expect(e.map((m) => m.name)).toEqual(['from-file']);
  expect(r.map((m) => m.name)).toEqual(['from-file']);
  expect(e[0]!.clientURLs).toEqual([etcdSide.client]);
  expect(r[0]!.clientURLs).toEqual([raftkitSide.client]);
  // raftkit says which settings of the file it has no counterpart for.
  expect(rk.output()).toMatch(/"msg":"config file settings ignored \(raftkit has no such setting\)".*"keys":\["cluster-active-size"\]/);
}, 60_000);
