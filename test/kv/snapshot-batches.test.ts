import { createHash } from 'node:crypto';
import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { concatBytes } from '../../src/kv/record.js';
import { encodeKvSnapshot, type RecordBatches } from '../../src/kv/snapshot-format.js';
import type { AnyLevel } from '../../src/storage/level-load.js';
import { levelDatabases } from './level-databases.js';

/**
 * The KV snapshot reads its records a batch at a time (`nextv`, classic-level's native reads
 * capped at 1 MiB): the bytes must be those of reading record by record, frames of 512 records
 * whatever the batches, on every database.
 */

const databases: [string, () => AnyLevel][] = [
  ...levelDatabases('raftkit-batches-'),
  [
    'a database without explicit snapshots (read live, buffered)',
    () => {
      const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
      (db.supports as { explicitSnapshots: boolean }).explicitSnapshots = false;
      return db;
    },
  ],
];

/**
 * A seeded history: 3000 puts of 0–600-byte values over 700 keys (every 37th a 100 KiB value,
 * so that a 1 MiB native read ends after a few records), leases, deletes, alarms, member
 * attributes and a compaction.
 */
function history(): KvCommand[] {
  const rng = new SeededRng(2026);
  const cmds: KvCommand[] = [{ op: 'leaseGrant', id: 5n, ttl: 60 }, { op: 'leaseGrant', id: 6n, ttl: 90 }];
  for (let i = 0; i < 3000; i++) {
    const size = i % 37 === 0 ? 100 * 1024 : rng.nextInt(601);
    const value = String.fromCharCode(97 + rng.nextInt(26)).repeat(size);
    cmds.push({ op: 'put', req: { key: `k/${rng.nextInt(700)}`, value, lease: i % 13 === 0 ? 5n : i % 17 === 0 ? 6n : 0n } });
    if (i % 250 === 249) cmds.push({ op: 'deleteRange', req: { key: `k/${rng.nextInt(700)}`, rangeEnd: `k/${rng.nextInt(700)}` } });
  }
  cmds.push(
    { op: 'alarm', action: 'activate', memberId: 3n, alarm: 1 },
    { op: 'memberAttrs', memberId: 3n, name: 'm3', clientUrls: ['http://127.0.0.1:2379'] },
    { op: 'compact', req: { revision: 1200 } },
    { op: 'leaseRevoke', id: 6n },
  );
  return cmds;
}

async function seeded(db: AnyLevel): Promise<KvStateMachine> {
  const sm = new KvStateMachine({ db });
  await sm.appliedIndex();
  const cmds = history();
  for (let at = 0; at < cmds.length; at += 400) {
    const results = await sm.apply(cmds.slice(at, at + 400).map((c, i) => ({ index: at + i + 1, term: 1, data: encodeCommand(c) })));
    for (const r of results) if (r.ok && 'physical' in r) await r.physical;
  }
  await sm.flush();
  return sm;
}

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return concatBytes(parts);
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `records` regrouped into batches of the sizes `sizes` gives, in turn. */
async function* rebatched(records: readonly (readonly [Uint8Array, Uint8Array])[], sizes: readonly number[]): RecordBatches {
  for (let at = 0, k = 0; at < records.length; k++) {
    const n = sizes[k % sizes.length]!;
    yield await Promise.resolve(records.slice(at, at + n));
    at += n;
  }
}

/** Every record of `sublevel`, read one at a time. */
async function records(db: AnyLevel, name: string): Promise<[Uint8Array, Uint8Array][]> {
  const out: [Uint8Array, Uint8Array][] = [];
  const enc = { keyEncoding: 'view', valueEncoding: 'view' } as const;
  for await (const r of db.sublevel<Uint8Array, Uint8Array>('kv', enc).sublevel<Uint8Array, Uint8Array>(name, enc).iterator()) out.push([r[0], r[1]]);
  return out;
}

/** The snapshot of {@link history}, as encoded record by record before reads were batched (format 4). */
const GOLDEN = 'e28f7edfc74e32576959747dcc65a6a6d9c4dd3d93319d682dc98bc231831688';

test.each(databases)('%s: the captured snapshot has the bytes of a record-by-record encoding, whatever the batch sizes', async (_name, newDb) => {
  const db = newDb();
  const sm = await seeded(db);
  const captured = await bytesOf(await sm.captureSnapshot());
  expect(sha256(captured)).toBe(GOLDEN);
  const all = { rev: await records(db, 'rev'), lease: await records(db, 'lease'), alarm: await records(db, 'alarm'), member: await records(db, 'member') };
  expect([all.rev.length > 1024, all.lease.length, all.alarm.length, all.member.length]).toEqual([true, 1, 1, 1]);
  const header = { compactRev: sm.store.compactRev, rev: sm.store.rev };
  for (const sizes of [[1], [7, 600, 1], [512], [513, 511], [100_000]]) {
    const again = encodeKvSnapshot(header, rebatched(all.rev, sizes), rebatched(all.lease, sizes), rebatched(all.alarm, sizes), rebatched(all.member, sizes));
    expect(sha256(await bytesOf(again)), `batches of ${sizes.join(', ')}`).toBe(GOLDEN);
  }
  await sm.close();
  await db.close();
}, 60_000);
