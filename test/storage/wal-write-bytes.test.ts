import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { EtcdMetrics } from '../../src/etcd/metrics.js';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { Replica } from '../../src/replica/replica.js';
import { FRAME_HEADER, alignUp } from '../../src/storage/wal/format.js';
import { WalStorage } from '../../src/storage/wal/wal-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { KvMachine, metricSum, set, waitUntil } from '../replica/helpers/cluster.js';

// etcd_disk_wal_write_bytes_total: the bytes WalStorage writes to its segment files (frames
// with their headers and padding), read from the storage when the metrics are scraped.

const dirs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'raftkit-walbytes-'));
  dirs.push(d);
  return d;
}

/** An entry record's bytes in a frame: type, index, term, entry type, length, data (see format.ts). */
const ENTRY_RECORD = 1 + 8 + 8 + 1 + 4;

const entry = (index: number, size: number): Entry => ({ index, term: 1, type: EntryType.EntryNormal, data: new Uint8Array(size).fill(index) });

test('each synced save adds its frame (header, records, padding) to walBytesWritten; an unsynced one goes out with the next', async () => {
  const s = await WalStorage.open({ dir: tempDir(), voters: [1] });
  closers.push(() => s.close());
  // The first segment's header frame.
  const start = s.walBytesWritten;
  expect(start).toBeGreaterThan(0);
  let want = start;
  for (let i = 1; i <= 5; i++) {
    await s.save({ entries: [entry(i, 100)], sync: true });
    want += alignUp(FRAME_HEADER + ENTRY_RECORD + 100);
    expect(s.walBytesWritten).toBe(want);
  }
  // Held in memory (sync: false), then written in front of the next synced save, in its frame.
  await s.save({ entries: [], hardState: { term: 1, vote: 1, commit: 5 }, sync: false });
  expect(s.walBytesWritten).toBe(want);
  await s.save({ entries: [entry(6, 3), entry(7, 3)], sync: true });
  want += alignUp(FRAME_HEADER + 25 + 2 * (ENTRY_RECORD + 3));
  expect(s.walBytesWritten).toBe(want);
  expect(s.walBytesWritten - start).toBeGreaterThanOrEqual(5 * (ENTRY_RECORD + 100) + 2 * (ENTRY_RECORD + 3));
});

test('a segment roll counts the new segment\'s header frame, not the zero-fill that preallocates it', async () => {
  const s = await WalStorage.open({ dir: tempDir(), voters: [1], segmentSize: 4096 });
  closers.push(() => s.close());
  const before = s.walBytesWritten;
  for (let i = 1; i <= 40; i++) await s.save({ entries: [entry(i, 200)], sync: true });
  expect(s.segments.length).toBeGreaterThan(1);
  const written = s.walBytesWritten - before;
  expect(written).toBeGreaterThanOrEqual(40 * alignUp(FRAME_HEADER + ENTRY_RECORD + 200));
  // Each segment is 4096 bytes of zeros before it is written; none of that is counted.
  expect(written).toBeLessThan(40 * alignUp(FRAME_HEADER + ENTRY_RECORD + 200) + s.segments.length * 512);
});

/** Starts member 1 alone on `storage` and waits until it leads. */
async function alone(storage: WalStorage | MemoryStorage): Promise<Replica<number>> {
  const network = new InProcessNetwork();
  const r = await Replica.start<number>({
    id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage, transport: network.transport(1), stateMachine: new KvMachine(), tickMs: 10, electionTick: 10, seed: 1,
  });
  closers.push(async () => {
    await r.stop();
    network.close();
  });
  await waitUntil([r], ['leader-change'], () => r.status().leader === 1, 'a leader');
  return r;
}

test('a WalStorage member exports raft_storage_wal_write_bytes_total, as etcd_disk_wal_write_bytes_total (a gauge); it grows by at least the entries written', async () => {
  const storage = new WalStorage({ dir: tempDir() });
  const r = await alone(storage);
  const before = await metricSum(r, 'raft_storage_wal_write_bytes_total');
  expect(before).toBe(storage.walBytesWritten);
  const n = 20;
  const command = set('key', 'x'.repeat(200));
  for (let i = 0; i < n; i++) await r.propose(command);
  const after = await metricSum(r, 'raft_storage_wal_write_bytes_total');
  // Each command's entry carries it (inside the replica's envelope), in an entry record.
  expect(after - before).toBeGreaterThanOrEqual(n * (ENTRY_RECORD + command.length));
  const text = await new EtcdMetrics(r, 0).text();
  expect(text).toContain(`# HELP etcd_disk_wal_write_bytes_total Total number of bytes written in WAL.\n# TYPE etcd_disk_wal_write_bytes_total gauge\netcd_disk_wal_write_bytes_total ${storage.walBytesWritten}\n`);
});

test('a member on a storage without a WAL has no raft_storage_wal_write_bytes_total; etcd\'s name reads 0', async () => {
  const r = await alone(new MemoryStorage());
  await r.propose(set('k', 'v'));
  expect((await r.metricsJSON())['raft_storage_wal_write_bytes_total']).toBeUndefined();
  expect(await new EtcdMetrics(r, 0).text()).toMatch(/^etcd_disk_wal_write_bytes_total 0$/m);
});
