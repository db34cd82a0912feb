import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { humanBytes, snapshotStatusTable } from '../../examples/kv-cluster/snapshot-table.js';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { snapshotStatus } from '../../src/kv/etcd-backend/status.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { Replica } from '../../src/replica/replica.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';

// The demo prints a backup's status as `etcdctl snapshot status -w table` does: checked against
// the real etcdctl (Debian's etcd-client) on backups of two sizes.
const dir = mkdtempSync(join(tmpdir(), 'raftkit-snaptable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('humanBytes writes sizes as go-humanize does', () => {
  expect([0, 9, 10, 999, 1000, 8192, 20480, 999_949, 1_250_000, 42_000_000].map(humanBytes)).toEqual(['0 B', '9 B', '10 B', '999 B', '1.0 kB', '8.2 kB', '20 kB', '1000 kB', '1.3 MB', '42 MB']);
});

test.each([20, 3000])('the table matches etcdctl snapshot status -w table (%i keys)', async (keys) => {
  const replica = await Replica.start({
    id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage: new MemoryStorage(), transport: new InProcessNetwork().transport(1),
    stateMachine: new KvStateMachine(), tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: 1,
  });
  try {
    const kv = new KvClient(replica);
    for (let i = 0; i < keys; i += 100) await Promise.all(Array.from({ length: Math.min(100, keys - i) }, (_, j) => kv.put(`key-${i + j}`, `value-${i + j}`.repeat(8))));
    const file = join(dir, `snap-${keys}.db`);
    await kv.maintenance.saveSnapshot(file);
    const etcdctl = execFileSync('etcdctl', ['snapshot', 'status', file, '-w', 'table'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' });
    expect(snapshotStatusTable(await snapshotStatus(file))).toEqual(etcdctl.trimEnd().split('\n'));
  } finally {
    await replica.stop();
  }
}, 60_000);
