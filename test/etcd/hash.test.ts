import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BoltReader } from '../../src/kv/bbolt/reader.js';
import { KvSnapshots } from '../../src/kv/etcd-backend/snapshots.js';
import { crc32c } from '../../src/storage/crc32c.js';
import { callUnary, rawClient, startKvCluster, type KvCluster } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkit-hash-'));
let c: KvCluster;
const snapshots = new Map<number, KvSnapshots>();
beforeAll(async () => {
  c = await startKvCluster([1, 2, 3], (replica, kv) => {
    const s = new KvSnapshots(replica, kv.stateMachine);
    snapshots.set(replica.id, s);
    return { snapshots: s };
  });
});
afterAll(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every member's Maintenance.Hash, after a linearizable read there (so each has applied every write). */
async function hashes(): Promise<{ hash: number; revision: string }[]> {
  const out: { hash: number; revision: string }[] = [];
  for (const [id, url] of c.urls) {
    await c.clients.get(id)!.range('any');
    const r = await callUnary(rawClient('Maintenance', url), 'Hash', {});
    expect(r.err).toBeUndefined();
    out.push({ hash: r.res!.hash as number, revision: (r.res!.header as { revision: string }).revision });
  }
  return out;
}

/** etcd's backend.Hash(DefaultIgnores) over a bbolt file, computed from the file's own pages. */
async function fileHash(file: string): Promise<number> {
  const bolt = await BoltReader.open(file);
  const ignored = new Set(['consistent_index', 'term']);
  let h = 0;
  try {
    for await (const b of bolt.buckets()) {
      h = crc32c(b.name, h);
      const meta = Buffer.from(b.name).toString() === 'meta';
      for await (const e of bolt.entries(b)) {
        if (meta && ignored.has(Buffer.from(e.key).toString())) continue;
        h = crc32c(e.value, crc32c(e.key, h));
      }
    }
  } finally {
    await bolt.close();
  }
  return h;
}

describe('Maintenance.Hash', () => {
  test('every member answers the same hash at the same revision; it is etcd\'s hash of the backend file a snapshot of the member holds, and changes with a write', async () => {
    const kv = c.clients.get(1)!;
    for (let i = 0; i < 20; i++) await kv.put(`h/${String(i % 7)}`, `v${String(i)}`);
    await kv.deleteRange('h/3');
    const first = await hashes();
    expect(new Set(first.map((h) => h.hash)).size).toBe(1);
    expect(new Set(first.map((h) => h.revision))).toEqual(new Set([String(kv.stateMachine.store.visibleRev)]));
    const file = join(dir, 'snap.db');
    await snapshots.get(2)!.save(file);
    expect(await fileHash(file)).toBe(first[0]!.hash);
    await kv.put('h/new', 'x');
    const second = await hashes();
    expect(new Set(second.map((h) => h.hash)).size).toBe(1);
    expect(second[0]!.hash).not.toBe(first[0]!.hash);
  });
});

describe('Maintenance.HashKV', () => {
  test('answers with the compacted revision (-1 before any), and etcd\'s codes and texts for a compacted or future revision', async () => {
    const kv = c.clients.get(1)!;
    const url = c.urls.get(1)!;
    const m = rawClient('Maintenance', url);
    try {
      await kv.put('hk/a', '1');
      const first = await callUnary(m, 'HashKV', { revision: 0 });
      expect(first.err).toBeUndefined();
      const rev = Number((first.res!.header as { revision: string }).revision);
      expect(first.res).toMatchObject({ compactRevision: '-1', hashRevision: String(rev) });
      await kv.put('hk/a', '2');
      await kv.compact(rev);
      const compacted = await callUnary(m, 'HashKV', { revision: rev });
      expect(compacted.err).toMatchObject({ code: 11, details: 'etcdserver: mvcc: required revision has been compacted' });
      const future = await callUnary(m, 'HashKV', { revision: rev + 100 });
      expect(future.err).toMatchObject({ code: 11, details: 'etcdserver: mvcc: required revision is a future revision' });
      const after = await callUnary(m, 'HashKV', { revision: rev + 1 });
      expect(after.res).toMatchObject({ compactRevision: String(rev), hashRevision: String(rev + 1) });
    } finally {
      m.close();
    }
  });
});
