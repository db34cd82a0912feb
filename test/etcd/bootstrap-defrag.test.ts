import { expect, test } from 'vitest';
import { bootstrapDefrag, type Log } from '../../src/etcd/cli/member.js';
import type { KvClient } from '../../src/kv/kv-client.js';

// etcd's --bootstrap-defrag-threshold-megabytes: at start, the member defragments its database
// when that frees at least the threshold (the database's size less what its live records take).

const MiB = 2 ** 20;

function member(dbSize: number, dbSizeInUse: number): { kv: Pick<KvClient, 'maintenance'>; defrags: () => number } {
  let defrags = 0;
  const maintenance = {
    status: () => Promise.resolve({ dbSize, dbSizeInUse }),
    defragment: () => { defrags++; return Promise.resolve({ sizeBefore: dbSize, sizeAfter: dbSizeInUse, seconds: 0 }); },
  };
  return { kv: { maintenance } as unknown as Pick<KvClient, 'maintenance'>, defrags: () => defrags };
}

test.each([
  { size: 300 * MiB, inUse: 100 * MiB, threshold: 200, defrag: true },
  { size: 300 * MiB, inUse: 101 * MiB, threshold: 200, defrag: false },
  { size: 10 * MiB, inUse: 1 * MiB, threshold: 1, defrag: true },
])('$size bytes, $inUse in use, threshold $threshold MiB: defragments $defrag', async ({ size, inUse, threshold, defrag }) => {
  const m = member(size, inUse);
  const logged: string[] = [];
  const log: Log = (_level, msg) => logged.push(msg);
  await bootstrapDefrag(m.kv, threshold, log);
  expect(m.defrags()).toBe(defrag ? 1 : 0);
  expect(logged).toEqual([defrag ? 'defragmented the backend at start' : 'skipping defragmentation']);
});
