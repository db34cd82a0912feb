import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLevel } from 'memory-level';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KvBackend } from '../../../src/kv/backend.js';
import { writeBoltFile } from '../../../src/kv/bbolt/writer.js';
import type { SnapshotProblem } from '../../../src/kv/bbolt/errors.js';
import { etcdBuckets, writeEtcdBackend } from '../../../src/kv/etcd-backend/backend-writer.js';
import { restoreSnapshot } from '../../../src/kv/etcd-backend/restore.js';
import { appendSha256 } from '../../../src/kv/etcd-backend/snapshot-file.js';
import { KvSnapshots } from '../../../src/kv/etcd-backend/snapshots.js';
import { KvStateMachine } from '../../../src/kv/kv-state-machine.js';
import { KvCluster } from '../kv-cluster.js';
import { compact, rowsOf, workload } from './history.js';

const LEASE = 99n;
const txns = workload(200, LEASE);
const compactAt = 150;
const rows = compact(rowsOf(txns), compactAt);
const dir = mkdtempSync(join(tmpdir(), 'raftkit-restore-'));
const good = join(dir, 'good.snap');
const source = (revisions = rows): Parameters<typeof writeEtcdBackend>[1] => ({
  revisions, leases: [{ id: LEASE, ttl: 60, remainingTtl: 0 }], consistentIndex: 5n, scheduledCompactRevision: compactAt, finishedCompactRevision: compactAt,
  members: [], removedMembers: [], clusterVersion: '3.4.0', alarms: [],
});

beforeAll(async () => {
  await writeEtcdBackend(good, source());
  await appendSha256(good);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newDb = (): MemoryLevel<Uint8Array, Uint8Array> => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });

async function recordCount(db: MemoryLevel<Uint8Array, Uint8Array>): Promise<number> {
  let n = 0;
  for await (const _ of new KvBackend(db, 'kv').revisions()) n++;
  return n;
}

describe('restoreSnapshot', () => {
  test('restores rows, leases and compaction from a file with a sha256 trailer', async () => {
    const db = newDb();
    const summary = await restoreSnapshot(good, { db });
    expect(summary).toMatchObject({ revision: txns.length + 1, rows: rows.length, compactRevision: compactAt, hasSha256: true });
    expect(await recordCount(db)).toBe(rows.length);
    const sm = new KvStateMachine({ db });
    await sm.ready();
    expect(sm.store.rev).toBe(txns.length + 1);
    expect(sm.store.leases.get(LEASE)?.ttl).toBe(60);
  });

  const damaged: [string, SnapshotProblem, (b: Buffer) => Buffer | Promise<Buffer>][] = [
    ['a flipped byte in a data page', 'sha256', (b) => { b[3 * 4096 + 100]! ^= 0x01; return b; }],
    ['a cut tail', 'truncated', (b) => b.subarray(0, b.length - 5000)],
    ['a wrong sha256', 'sha256', (b) => { b[b.length - 1]! ^= 0xff; return b; }],
    ['a flipped page header without a trailer', 'page', (b) => { const db = b.subarray(0, b.length - 32); db[3 * 4096]! ^= 0x01; return db; }],
    ['a bbolt file that is not an etcd backend', 'layout', async () => {
      const p = join(dir, 'plain.db');
      await writeBoltFile(p, [{ name: 'widgets', entries: [{ key: new Uint8Array([1]), value: new Uint8Array([2]) }] }]);
      return readFileSync(p);
    }],
    ['a key row that is not a KeyValue', 'layout', async () => {
      const p = join(dir, 'badkv.db');
      const buckets = etcdBuckets(source([]));
      const key = buckets.findIndex((b) => b.name === 'key');
      buckets[key] = { name: 'key', entries: [{ key: new Uint8Array(17).fill(0x5f).fill(0, 0, 8).fill(0, 9), value: new Uint8Array([0x0a, 0x7f]) }] };
      await writeBoltFile(p, buckets);
      return readFileSync(p);
    }],
  ];

  test.each(damaged)('%s is refused (problem %s) and the target keeps what it had', async (_name, problem, damage) => {
    const db = newDb();
    await restoreSnapshot(good, { db });
    const file = join(dir, `bad-${problem}.snap`);
    writeFileSync(file, await damage(Buffer.from(readFileSync(good))));
    await expect(restoreSnapshot(file, { db })).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_CORRUPT', problem });
    expect(await recordCount(db)).toBe(rows.length);
  });
});

describe('KvSnapshots on a member', () => {
  let cluster: KvCluster;
  beforeAll(async () => {
    cluster = await KvCluster.create(1);
  }, 30_000);
  afterAll(async () => cluster.close());

  test('save writes a snapshot file whose status and restore match the member', async () => {
    const kv = cluster.client(1);
    for (let i = 0; i < 50; i++) await kv.put(`k${String(i % 20)}`, `v${String(i)}`);
    await kv.deleteRange('k1');
    const replica = cluster.replicas.get(1)!;
    const sm = replica.stateMachine;
    if (!(sm instanceof KvStateMachine)) throw new TypeError('not a KvStateMachine');
    const snaps = new KvSnapshots(replica, sm, { db: cluster.dbs.get(1)! }, { tmpDir: dir });
    const file = join(dir, 'member.snap');
    const status = await snaps.save(file);
    expect(status.revision).toBe(52);
    expect(status).toEqual(await snaps.snapshotStatus(file));
    const db = newDb();
    const restored = await snaps.restore(file, { db });
    expect(restored).toMatchObject({ revision: 52, rows: 51, hasSha256: true });
    expect(restored.info.members.map((m) => m.id)).toEqual([1n]);
  });
});
