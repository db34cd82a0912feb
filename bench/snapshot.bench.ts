/**
 * etcd snapshot files at scale: writes a SNAPSHOT_KEYS-key (default 1,000,000) etcd backend with
 * the streaming bbolt writer plus its sha256 trailer ("save"), computes `etcdctl snapshot status`'s
 * figures ("status"), then verifies the trailer and streams every row back through the validating
 * reader and protobuf decoder ("restore read"), restores it into a raftkit member's data dir
 * (classic-level, "restore into KV") and streams a snapshot back out of that KV ("save from KV").
 * Prints MB/s per phase (of the snapshot file's size) and the peak RSS after each
 * (process.resourceUsage().maxRSS, which only grows: flat figures mean bounded memory).
 * Set SNAPSHOT_FILE to keep the file (e.g. to run `etcdctl snapshot status` on it).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdBackendReader } from '../src/kv/etcd-backend/backend-reader.js';
import type { StoredRevision } from '../src/kv/etcd-backend/backend-writer.js';
import { writeEtcdBackend } from '../src/kv/etcd-backend/backend-writer.js';
import { appendSha256, verifySnapshotFile } from '../src/kv/etcd-backend/snapshot-file.js';
import { snapshotStatus } from '../src/kv/etcd-backend/status.js';
import { kvBackendSource } from '../src/kv/etcd-backend/kv-records.js';
import { restoreDataDir } from '../src/kv/etcd-backend/restore-command.js';
import { snapshotChunks, writeSnapshotChunks } from '../src/kv/etcd-backend/snapshot-stream.js';
import { openDataDir } from '../src/etcd/cli/member.js';
import { fmtFixed } from './util.js';

const enc = new TextEncoder();

function* rows(n: number): Generator<StoredRevision> {
  const value = new Uint8Array(100).fill(0x76);
  for (let i = 0; i < n; i++) {
    const main = i + 2;
    yield { rev: { main, sub: 0 }, tombstone: false, kv: { key: enc.encode(`/registry/keys/${String(i).padStart(8, '0')}`), createRevision: main, modRevision: main, version: 1, value, lease: 0n } };
  }
}

const mb = (bytes: number): number => bytes / (1 << 20);
const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

async function phase(name: string, bytes: () => number, body: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await body();
  const s = (performance.now() - t0) / 1000;
  console.log(`  ${name.padEnd(14)} ${fmtFixed(s, 2, 7)} s  ${fmtFixed(mb(bytes()) / s, 1, 7)} MB/s  peak RSS ${fmtFixed(rssMb(), 0, 5)} MB`);
}

/** What the table compares, against what, and the target (printed above it by `npm run bench`). */
export const about = 'etcd snapshot files at scale (1,000,000 keys by default): save, status and restore read in MB/s with peak RSS after each; a reference for regressions, flat RSS means bounded memory';

/** Runs the three phases and prints their figures. */
export async function run(): Promise<void> {
  const n = Number(process.env.SNAPSHOT_KEYS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-snapbench-'));
  const file = process.env.SNAPSHOT_FILE ?? join(dir, 'snapshot.db');
  const size = (): number => statSync(file).size;
  console.log(`etcd snapshot file, ${String(n)} keys (100-byte values); start RSS ${fmtFixed(rssMb(), 0)} MB`);
  try {
    await phase('save', size, async () => {
      await writeEtcdBackend(file, {
        revisions: rows(n), leases: [], consistentIndex: BigInt(n), scheduledCompactRevision: 0, finishedCompactRevision: 0,
        members: [], removedMembers: [], clusterVersion: '3.4.0', alarms: [],
      });
      await appendSha256(file);
    });
    console.log(`  file size      ${fmtFixed(mb(size()), 1)} MB`);
    let status = {};
    await phase('status', size, async () => (status = await snapshotStatus(file)));
    console.log(`  status         ${JSON.stringify(status)}`);
    let count = 0;
    await phase('restore read', size, async () => {
      const { dbLength } = await verifySnapshotFile(file);
      const reader = await EtcdBackendReader.open(file, { length: dbLength });
      for await (const r of reader.revisions()) if (r.kv.version === 1) count++;
      await reader.close();
    });
    if (count !== n) throw new Error(`read back ${String(count)} rows, wrote ${String(n)}`);
    const dataDir = join(dir, 'member');
    await phase('restore into KV', size, async () => restoreDataDir(file, dataDir));
    const again = join(dir, 'from-kv.db');
    await phase('save from KV', size, async () => {
      // The restored data dir opened as the `raftkit` command's member opens it.
      const { storage, kvDb, closeKvDb } = await openDataDir(dataDir);
      try {
        await writeSnapshotChunks(again, snapshotChunks(await kvBackendSource({ db: kvDb }, n + 1), { tmpDir: dir }));
      } finally {
        await closeKvDb();
        await storage.close();
      }
    });
    const back = await snapshotStatus(again);
    console.log(`  from KV        ${JSON.stringify(back)}`);
    if (back.revision !== n + 1) throw new Error(`snapshot from the KV stands at ${String(back.revision)}`);
  } finally {
    if (process.env.SNAPSHOT_FILE === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
