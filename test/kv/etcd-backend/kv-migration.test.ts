import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { MemoryLevel } from 'memory-level';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { KvClient } from '../../../src/kv/kv-client.js';
import { KvStateMachine } from '../../../src/kv/kv-state-machine.js';
import { kvBackendSource } from '../../../src/kv/etcd-backend/kv-records.js';
import { restoreSnapshot } from '../../../src/kv/etcd-backend/restore.js';
import { SNAPSHOT_CHUNK_BYTES, snapshotChunks, writeSnapshotChunks } from '../../../src/kv/etcd-backend/snapshot-stream.js';
import type { SnapshotChunk } from '../../../src/kv/etcd-backend/snapshot-stream.js';
import { snapshotStatus } from '../../../src/kv/etcd-backend/status.js';
import { KvCluster } from '../kv-cluster.js';
import { applyHistory, connect, rangeAt } from './etcd-client.js';
import { conflictFreeGroups, describeKv, workload } from './history.js';
import type { Op } from './history.js';
import { freePort, snapshotRestore, snapshotSave, snapshotStatusCtl, startEtcd } from './real-etcd.js';
import { EtcdServer } from '../../../src/etcd/server.js';
import { KvSnapshots } from '../../../src/kv/etcd-backend/snapshots.js';
import type { EtcdProcess } from './real-etcd.js';
import { callUnary, rawClient } from '../../etcd/helpers.js';

const LEASE = 0x7_0000_0001n;
const KEYS = 1000;
const txns = workload(KEYS, LEASE);
const compactAt = 2 + Math.floor(txns.length / 2);
const lastRev = txns.length + 1;
/**
 * Revisions compared on both sides: every retained one with RAFTKIT_SNAPSHOT_FULL=1, otherwise
 * every 25th plus both ends and the compaction boundary (keeps CI time small; each range is ~800 keys).
 */
const FULL = process.env.RAFTKIT_SNAPSHOT_FULL === '1';
const TIMEOUT = FULL ? 900_000 : 120_000;
const retained = Array.from({ length: lastRev - compactAt + 1 }, (_, i) => compactAt + i).filter(
  (_rev, i, all) => FULL || i % 25 === 0 || i < 2 || i === all.length - 1,
);
const dir = mkdtempSync(join(tmpdir(), 'raftkit-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Applies `history` in {@link conflictFreeGroups}, each group's txns concurrently. */
async function applyToRaftkit(kv: KvClient, history: readonly (readonly Op[])[]): Promise<void> {
  await kv.lease.grant(3600, { id: LEASE });
  for (const group of conflictFreeGroups(history)) {
    await Promise.all(
      group.map((ops) => kv.txn({ success: ops.map((op) => ('del' in op ? { requestDeleteRange: { key: op.del } } : { requestPut: { key: op.put, value: op.value, lease: op.lease ?? 0n } })) })),
    );
  }
}

async function raftkitRangeAt(kv: KvClient, revision: number, serializable: boolean): Promise<string[]> {
  const r = await kv.range('key/', { prefix: true, revision, serializable });
  return r.kvs.map(describeKv);
}

/** Revisions whose HashKV both sides compare: the current one (0), the first after the compaction, one in the middle, the last. */
const hashed = [0, compactAt + 1, Math.floor((compactAt + lastRev) / 2), lastRev];

/** etcd's HashKV (hash and compacted revision) at each of {@link hashed}, through a raw client (etcd3's proto lacks the call). */
async function etcdHashKv(url: string): Promise<string[]> {
  const m = rawClient('Maintenance', url);
  try {
    const out: string[] = [];
    for (const revision of hashed) {
      const { res, err } = await callUnary(m, 'HashKV', { revision });
      if (err !== undefined) throw err;
      out.push(`${String(res!.hash)}@${String(res!.compactRevision)}`);
    }
    return out;
  } finally {
    m.close();
  }
}

/** raftkit's hashKV at each of {@link hashed}, as {@link etcdHashKv} shows etcd's. */
async function raftkitHashKv(kv: KvClient): Promise<string[]> {
  const out: string[] = [];
  for (const revision of hashed) {
    const r = await kv.maintenance.hashKV(revision);
    out.push(`${String(r.hash)}@${String(r.compactRevision)}`);
  }
  return out;
}

/** Saves the stream like etcdctl and returns the chunk sizes seen. */
async function saveStream(file: string, chunks: AsyncIterable<SnapshotChunk>): Promise<number[]> {
  const sizes: number[] = [];
  await writeSnapshotChunks(file, (async function* () {
    for await (const c of chunks) {
      sizes.push(c.blob.length);
      yield c;
    }
  })());
  return sizes;
}

describe('raftkit -> etcd', () => {
  let cluster: KvCluster;
  beforeAll(async () => {
    cluster = await KvCluster.create(3);
  }, 30_000);
  afterAll(async () => cluster.close());

  test('etcdctl snapshot save against a 3-member raftkit cluster: etcdctl status agrees and a restored etcd serves the same data with the same HashKV', async () => {
    const leader = await cluster.waitLeader();
    const kv = cluster.client(leader.id);
    await applyToRaftkit(kv, txns);
    await kv.compact(compactAt, { physical: true });
    const want = new Map<number, string[]>();
    for (const rev of retained) want.set(rev, await raftkitRangeAt(kv, rev, true));
    expect(want.get(lastRev)!.length).toBeGreaterThan(KEYS / 2);

    // The stream itself: 32 KiB chunks, then the 32-byte sha256.
    const streamed = join(dir, 'raftkit-stream.snap');
    const source = await kvBackendSource({ db: cluster.dbs.get(leader.id)! }, lastRev, { consistentIndex: 7n });
    const sizes = await saveStream(streamed, snapshotChunks(source, { tmpDir: dir }));
    expect(sizes.at(-1)).toBe(32);
    expect(sizes.slice(0, -2).every((s) => s === SNAPSHOT_CHUNK_BYTES)).toBe(true);

    // etcdctl snapshot save against the leader's etcd front.
    const sm = leader.stateMachine;
    if (!(sm instanceof KvStateMachine)) throw new TypeError('not a KvStateMachine');
    const server = new EtcdServer({ replica: leader, kv, snapshots: new KvSnapshots(leader, sm, { db: cluster.dbs.get(leader.id)! }, { tmpDir: dir }) });
    const file = join(dir, 'raftkit.snap');
    try {
      await snapshotSave(await server.listen('http://127.0.0.1:0'), file);
    } finally {
      await server.close();
    }
    const ours = await snapshotStatus(file);
    expect(ours).toEqual(await snapshotStatusCtl(file));
    expect(ours.revision).toBe(lastRev);

    const peer = `http://127.0.0.1:${String(await freePort())}`;
    const etcd = await startEtcd(await snapshotRestore(file, join(dir, 'to-etcd'), 'm1', peer), 'm1', peer);
    const c = connect(etcd.clientUrl);
    try {
      for (const rev of retained) expect(await rangeAt(c, rev), `revision ${String(rev)}`).toEqual(want.get(rev));
      await expect(rangeAt(c, compactAt - 1)).rejects.toThrow(/compacted/);
      // The restored etcd hashes the history as the raftkit cluster does (etcdctl endpoint hashkv).
      expect(await etcdHashKv(etcd.clientUrl)).toEqual(await raftkitHashKv(kv));
      const ttl = await c.leaseClient.leaseTimeToLive({ ID: LEASE.toString(), keys: true });
      expect(ttl.grantedTTL).toBe('3600');
    } finally {
      c.close();
      await etcd.stop();
    }
  }, TIMEOUT);
});

describe('etcd -> raftkit', () => {
  let etcd: EtcdProcess;
  let client: Etcd3;
  beforeAll(async () => {
    etcd = await startEtcd(join(dir, 'from-etcd'));
    client = connect(etcd.clientUrl);
    await applyHistory(client, txns, LEASE, { concurrent: true });
    await client.kv.compact({ revision: String(compactAt), physical: true });
  }, 60_000);
  afterAll(async () => {
    client.close();
    await etcd.stop();
  });

  test('etcdctl snapshot save restored into every member of a 3-member raftkit cluster: identical ranges at every retained revision, and etcd\'s HashKV', async () => {
    const file = join(dir, 'etcd.snap');
    await snapshotSave(etcd, file);
    const want = new Map<number, string[]>();
    for (const rev of retained) want.set(rev, await rangeAt(client, rev));

    const restored = new KvCluster([1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
      const summary = await restoreSnapshot(file, { db });
      expect(summary).toMatchObject({ revision: lastRev, compactRevision: compactAt, hasSha256: true });
      restored.dbs.set(id, db);
    }
    try {
      await Promise.all([1, 2, 3].map((id) => restored.start(id)));
      const leader = await restored.waitLeader();
      for (const id of [1, 2, 3]) {
        const kv = restored.client(id);
        for (const rev of retained) expect(await raftkitRangeAt(kv, rev, true), `member ${String(id)} revision ${String(rev)}`).toEqual(want.get(rev));
      }
      // Every member hashes the restored history as etcd does (etcdctl endpoint hashkv).
      const etcdHashes = await etcdHashKv(etcd.clientUrl);
      for (const id of [1, 2, 3]) expect(await raftkitHashKv(restored.client(id)), `member ${String(id)}`).toEqual(etcdHashes);
      const kv = restored.client(leader.id);
      await expect(raftkitRangeAt(kv, compactAt - 1, false)).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
      const put = await kv.put('key/after-restore', 'x');
      expect(put.header.revision).toBe(lastRev + 1);
      const wantLeased = want.get(lastRev)!.filter((s) => s.endsWith(`/${String(LEASE)}`)).length;
      for (const id of [1, 2, 3]) {
        const sm = restored.replicas.get(id)!.stateMachine;
        if (!(sm instanceof KvStateMachine)) throw new TypeError('not a KvStateMachine');
        const lease = sm.store.leases.get(LEASE);
        expect(lease?.ttl).toBe(3600);
        expect(lease?.keys.size).toBe(wantLeased);
      }
    } finally {
      await restored.close();
    }
  }, TIMEOUT);
});
