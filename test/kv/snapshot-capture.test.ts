import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine, type KvResult } from '../../src/kv/kv-state-machine.js';
import { range } from '../../src/kv/mvcc/range.js';
import { dec } from './helpers.js';
import { levelDatabases } from './level-databases.js';

const databases = levelDatabases('raftkit-capture-');

let index = 0;
async function apply(sm: KvStateMachine, cmds: KvCommand[]): Promise<KvResult[]> {
  return sm.apply(cmds.map((c) => ({ index: ++index, term: 1, data: encodeCommand(c) })));
}

/** Every live key with its value and revisions, at `revision` (0: the current one). */
async function everything(sm: KvStateMachine, revision = 0): Promise<string[]> {
  const r = await range(sm.store.readView(), { key: '\0', rangeEnd: '\0', revision });
  return r.kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}/l${kv.lease}`);
}

test.each(databases)('%s: a captured snapshot is the state at the capture, however much is applied, compacted and deleted while it is read', async (_name, newDb) => {
  const src = new KvStateMachine({ db: newDb() });
  await src.appliedIndex();
  const first: KvCommand[] = [{ op: 'leaseGrant', id: 7n, ttl: 100 }];
  for (let i = 0; i < 300; i++) first.push({ op: 'put', req: { key: `k${i % 100}`, value: `a${i}`, lease: i % 10 === 0 ? 7n : 0n } });
  first.push({ op: 'deleteRange', req: { key: 'k5', rangeEnd: 'k6' } }, { op: 'compact', req: { revision: 50 } });
  await apply(src, first);
  const atCapture = { now: await everything(src), old: await everything(src, 150), rev: src.store.rev, index, leased: src.store.leases.get(7n)?.keys.size };
  expect(atCapture.leased).toBe(9);
  const chunks = (await src.captureSnapshot())[Symbol.asyncIterator]();
  const head = await chunks.next(); // reading has begun before the later applies
  const later: KvCommand[] = [{ op: 'leaseRevoke', id: 7n }, { op: 'deleteRange', req: { key: 'k9', rangeEnd: 'k:' } }];
  for (let i = 0; i < 200; i++) later.push({ op: 'put', req: { key: i % 2 === 0 ? `k${i % 100}` : `n${i}`, value: `b${i}`, lease: 0n } });
  later.push({ op: 'compact', req: { revision: src.store.rev + 150 } });
  const results = await apply(src, later);
  const compacted = results[results.length - 1]!;
  if (compacted.ok) await compacted.physical; // the old revisions are deleted from the database meanwhile
  await src.flush();
  expect(await everything(src)).not.toEqual(atCapture.now);
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (head.done !== true) yield head.value;
    for (let r = await chunks.next(); r.done !== true; r = await chunks.next()) yield r.value;
  }
  const dst = new KvStateMachine({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) });
  await dst.appliedIndex();
  await dst.restoreChunks({ index: atCapture.index, term: 1, chunks: rest() });
  expect(await everything(dst)).toEqual(atCapture.now);
  expect(await everything(dst, 150)).toEqual(atCapture.old);
  expect([dst.store.rev, dst.store.compactRev]).toEqual([atCapture.rev, 50]);
  expect(src.store.leases.get(7n)).toBeUndefined();
  expect(dst.store.leases.get(7n)?.keys.size).toBe(atCapture.leased);
  await src.close();
  await src.db.close();
}, 30_000);

test('a capture abandoned part way releases its view: the database then closes', async () => {
  const src = new KvStateMachine({ db: databases[1]![1]() });
  await src.appliedIndex();
  await apply(src, Array.from({ length: 5000 }, (_, i): KvCommand => ({ op: 'put', req: { key: `k${i}`, value: 'v'.repeat(100), lease: 0n } })));
  const chunks = (await src.captureSnapshot())[Symbol.asyncIterator]();
  await chunks.next();
  await chunks.next();
  await chunks.return?.(undefined);
  await src.close();
  await src.db.close();
  expect(src.db.status).toBe('closed');
}, 30_000);
