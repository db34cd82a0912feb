import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EtcdBackendReader } from '../../../src/kv/etcd-backend/backend-reader.js';
import type { StoredRevision } from '../../../src/kv/etcd-backend/backend-writer.js';
import { writeEtcdBackend } from '../../../src/kv/etcd-backend/backend-writer.js';
import { appendSha256, verifySnapshotFile } from '../../../src/kv/etcd-backend/snapshot-file.js';
import { snapshotStatus } from '../../../src/kv/etcd-backend/status.js';
import { applyHistory, connect, rangeAt } from './etcd-client.js';
import { compact, describeKv, liveAt, rowsOf, workload } from './history.js';
import { freePort, snapshotRestore, snapshotSave, snapshotStatusCtl, startEtcd } from './real-etcd.js';
import type { EtcdProcess } from './real-etcd.js';

const LEASE = 0x1234_5678_9abcn;
const KEYS = 300;
const dir = mkdtempSync(join(tmpdir(), 'raftkit-etcdsnap-'));
const txns = workload(KEYS, LEASE);
const compactAt = 2 + Math.floor(txns.length / 2);
const model = compact(rowsOf(txns), compactAt);
const lastRev = txns.length + 1;
const sampleRevs = [compactAt, compactAt + 1, Math.floor((compactAt + lastRev) / 2), lastRev];

let etcd: EtcdProcess;
let client: Etcd3;

beforeAll(async () => {
  etcd = await startEtcd(join(dir, 'source'));
  client = connect(etcd.clientUrl);
  await applyHistory(client, txns, LEASE);
  await client.kv.compact({ revision: String(compactAt), physical: true });
}, 60_000);

afterAll(async () => {
  client.close();
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('files made by etcdctl snapshot save (etcd 3.4)', () => {
  test('the history model agrees with etcd at every sampled revision', async () => {
    expect(liveAt(model, lastRev).length).toBeGreaterThan(KEYS / 2);
    for (const rev of sampleRevs) expect(await rangeAt(client, rev)).toEqual(liveAt(model, rev));
  });

  test('snapshotStatus equals etcdctl snapshot status; the reader sees etcd\'s rows, leases, members and compaction', async () => {
    const file = join(dir, 'etcd.snap');
    await snapshotSave(etcd, file);
    expect(await verifySnapshotFile(file)).toMatchObject({ hasSha256: true });
    const ours = await snapshotStatus(file);
    expect(ours).toEqual(await snapshotStatusCtl(file));
    expect(ours.revision).toBe(lastRev);

    const reader = await EtcdBackendReader.open(file);
    const rows: StoredRevision[] = [];
    for await (const r of reader.revisions()) rows.push(r);
    await reader.close();
    const show = (r: StoredRevision): string => `${String(r.rev.main)}_${String(r.rev.sub)}${r.tombstone ? 't' : ''} ${describeKv(r.kv)}`;
    const tomb = (r: StoredRevision): StoredRevision => (r.tombstone ? { ...r, kv: { ...r.kv, value: new Uint8Array(0) } } : r);
    expect(rows.map(show)).toEqual(model.map(tomb).map(show));
    expect(reader.info.finishedCompactRevision).toBe(compactAt);
    expect(reader.info.scheduledCompactRevision).toBe(compactAt);
    expect(reader.info.leases).toEqual([{ id: LEASE, ttl: 3600, remainingTtl: 0 }]);
    expect(reader.info.members.map((m) => [m.name, m.peerURLs])).toEqual([['e1', [etcd.peerUrl]]]);
    expect(reader.info.clusterVersion).toBe('3.4.0');
    expect(reader.info.consistentIndex).toBeGreaterThan(BigInt(txns.length));
  });
});

describe('files made by the writer, read by etcd 3.4', () => {
  test('etcdctl snapshot status agrees, and etcdctl snapshot restore serves the same keys, revisions, lease and compaction', async () => {
    const file = join(dir, 'raftkit.snap');
    await writeEtcdBackend(file, {
      revisions: model,
      leases: [{ id: LEASE, ttl: 3600, remainingTtl: 0 }],
      consistentIndex: 42n,
      scheduledCompactRevision: compactAt,
      finishedCompactRevision: compactAt,
      members: [{ id: 0xabcn, peerURLs: ['http://127.0.0.1:1'], isLearner: false, name: 'old', clientURLs: [] }],
      removedMembers: [7n],
      clusterVersion: '3.4.0',
      alarms: [],
    });
    await appendSha256(file);
    expect(await snapshotStatus(file)).toEqual(await snapshotStatusCtl(file));

    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const restored = await startEtcd(await snapshotRestore(file, dir, 'r1', peer), 'r1', peer);
    const c = connect(restored.clientUrl);
    try {
      for (const rev of sampleRevs) expect(await rangeAt(c, rev)).toEqual(liveAt(model, rev));
      await expect(rangeAt(c, compactAt - 1)).rejects.toThrow(/compacted/);
      const ttl = await c.leaseClient.leaseTimeToLive({ ID: LEASE.toString(), keys: true });
      expect(ttl.keys.length).toBe(liveAt(model, lastRev).filter((s) => s.endsWith(`/${String(LEASE)}`)).length);
    } finally {
      c.close();
      await restored.stop();
    }
  });
});
