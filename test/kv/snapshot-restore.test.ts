import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { Replica } from '../../src/replica/replica.js';
import { StateType } from '../../src/raft/ready.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { KvCluster } from './kv-cluster.js';
import { dec } from './helpers.js';

let cluster: KvCluster | undefined;
const dirs: string[] = [];
const replicas: Replica[] = [];
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test('snapshot save → status → restore → a new 3-member cluster serves the same data at the same revision', async () => {
  const c = (cluster = await KvCluster.create(3));
  const kv = c.client(1);
  for (let i = 0; i < 20; i++) await kv.put(`k${i % 8}`, `v${i}`);
  await kv.deleteRange('k7');
  await kv.compact(10);
  const before = await kv.range('k', { prefix: true });
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-backup-'));
  dirs.push(dir);
  const file = join(dir, 'backup.db');
  const saved = await c.client(2).maintenance.saveSnapshot(file);
  const st = await kv.maintenance.snapshotStatus(file);
  expect(st).toEqual(saved);
  expect(st.revision).toBe(before.header.revision);

  // A damaged file (its SHA-256 trailer no longer matches) is refused by restore.
  const bad = join(dir, 'bad.db');
  const bytes = readFileSync(file);
  bytes[bytes.length - 1]! ^= 0xff;
  writeFileSync(bad, bytes);
  await expect(kv.maintenance.restore(bad, { path: join(dir, 'bad-member'), members: [] })).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_CORRUPT' });

  const members = [11, 12, 13].map((id) => ({ id, address: `inproc://${id}` }));
  for (const m of members) {
    const r = await kv.maintenance.restore(file, { path: join(dir, `m${m.id}`), members });
    expect(r.revision).toBe(before.header.revision);
  }
  const net = new InProcessNetwork();
  for (const m of members) {
    const storage = await LevelStorage.open({ path: join(dir, `m${m.id}`) });
    replicas.push(await Replica.start<unknown>({ id: m.id, peers: members, storage, transport: net.transport(m.id), stateMachine: new KvStateMachine({ storage }), tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: m.id }));
  }
  const start = Date.now();
  while (!replicas.some((r) => r.status().role === StateType.Leader) && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 10));
  for (const r of replicas) {
    const client = new KvClient(r);
    const after = await client.range('k', { prefix: true });
    expect(after.header.revision).toBe(before.header.revision);
    expect(after.kvs.map((x) => [dec(x.key), dec(x.value), x.modRevision, x.version])).toEqual(before.kvs.map((x) => [dec(x.key), dec(x.value), x.modRevision, x.version]));
    await expect(client.range('k1', { revision: 5 })).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
  }
  const w = await new KvClient(replicas[0]!).put('fresh', 'yes');
  expect(w.header.revision).toBe(before.header.revision + 1);
  net.close();
});
