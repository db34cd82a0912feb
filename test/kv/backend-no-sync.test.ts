/**
 * `KvStateMachineOptions.noSync` (etcd's `--unsafe-no-fsync`): the KV's database writes that are
 * otherwise synced (every apply batch's write, a snapshot restore's first and last) ask for no
 * fsync; the state is the same.
 */
import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { enc } from './helpers.js';

const cmd = (index: number, c: KvCommand): { index: number; term: number; data: Uint8Array } => ({ index, term: 1, data: encodeCommand(c) });

/** A memory-level database recording the options of every chained batch's write. */
function recordingDb(): { db: MemoryLevel<Uint8Array, Uint8Array>; writes: unknown[] } {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  const writes: unknown[] = [];
  const chained = db.batch.bind(db) as () => ReturnType<typeof db.batch>;
  (db as unknown as { batch: () => unknown }).batch = () => {
    const batch = chained();
    const write = batch.write.bind(batch);
    batch.write = ((options?: unknown) => {
      writes.push(options);
      return write(options as Parameters<typeof write>[0]);
    });
    return batch;
  };
  return { db, writes };
}

test.each([
  { noSync: false, wantSynced: true },
  { noSync: true, wantSynced: false },
])('noSync=$noSync: apply batches written synced: $wantSynced; the puts read back', async ({ noSync, wantSynced }) => {
  const { db, writes } = recordingDb();
  const sm = new KvStateMachine({ db, noSync });
  await sm.ready();
  for (let i = 1; i <= 3; i++) await sm.apply([cmd(i, { op: 'put', req: { key: enc(`k${i}`), value: enc('v') } })]);
  await sm.flush();
  expect(writes.length).toBeGreaterThan(0);
  expect(writes.some((o) => (o as { sync?: boolean } | undefined)?.sync === true)).toBe(wantSynced);
  expect(sm.store.visibleRev).toBe(4);
  await sm.close();
});
