import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, expect, test } from 'vitest';
import { freePort, spawnRaftkit } from './process-cluster.js';

// etcd listens for peers on every --listen-peer-urls URL, and a member may advertise any of
// them. Here m1 listens on two and advertises the second; m2 can only reach it there. Both
// members are needed for a quorum, so the cluster takes a write only if m1 answers on that URL.

const dir = mkdtempSync(join(tmpdir(), 'raftkit-peer-urls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a member listens on every --listen-peer-urls URL: a peer that knows it by its second one joins it in a quorum', async () => {
  const url = async (): Promise<string> => `http://127.0.0.1:${String(await freePort())}`;
  const [m1First, m1Second, m1Client, m2Peer, m2Client] = [await url(), await url(), await url(), await url(), await url()];
  const initial = `m1=${m1Second},m2=${m2Peer}`;
  const common = ['--initial-cluster', initial, '--initial-cluster-token', 'peer-urls', '--heartbeat-interval', '20', '--election-timeout', '200'];
  const m1 = spawnRaftkit(['--name', 'm1', '--data-dir', join(dir, 'm1'), '--listen-peer-urls', `${m1First},${m1Second}`, '--initial-advertise-peer-urls', m1Second,
    '--listen-client-urls', m1Client, '--advertise-client-urls', m1Client, ...common]);
  const m2 = spawnRaftkit(['--name', 'm2', '--data-dir', join(dir, 'm2'), '--listen-peer-urls', m2Peer, '--initial-advertise-peer-urls', m2Peer,
    '--listen-client-urls', m2Client, '--advertise-client-urls', m2Client, ...common]);
  const client = new Etcd3({ hosts: [m1Client, m2Client] });
  try {
    await Promise.all([m1.started, m2.started]);
    // Tries for 20 s, each put with a 1 s deadline (without a quorum there is no leader to take it).
    let put: unknown;
    for (const until = Date.now() + 20_000; put === undefined && Date.now() < until;) {
      put = await client.put('k').value('v').options({ deadline: new Date(Date.now() + 1000) }).then((r) => r, () => new Promise((r) => setTimeout(r, 100)).then(() => undefined));
    }
    expect(put, 'the two members never formed a quorum').toBeDefined();
    expect(await client.get('k').string()).toBe('v');
    const members = await client.cluster.memberList({ linearizable: true });
    expect(members.members.map((m) => m.peerURLs.join(',')).sort()).toEqual([m1Second, m2Peer].sort());
  } finally {
    client.close();
    m1.child.kill('SIGKILL');
    m2.child.kill('SIGKILL');
    await Promise.all([m1.exited, m2.exited]);
  }
}, 60_000);
