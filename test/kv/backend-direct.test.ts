/**
 * The KV backend writes through the parent database with the sublevels' prefixes added itself
 * when that database takes bytes as given (`view` keys and values), and through abstract-level's
 * sublevel option otherwise: both must store exactly the same records.
 */
import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { encodeCommand } from '../../src/kv/commands.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import type { AnyLevel } from '../../src/storage/level-load.js';
import { enc } from './helpers.js';
import { levelDatabases } from './level-databases.js';

const cmd = (index: number, c: KvCommand): { index: number; term: number; data: Uint8Array } => ({ index, term: 1, data: encodeCommand(c) });

/** Every record of `db`, as hex key = hex value lines. */
async function records(db: AnyLevel): Promise<string[]> {
  const out: string[] = [];
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  for await (const [k, v] of db.iterator({ keyEncoding: 'view', valueEncoding: 'view' })) out.push(`${hex(k)}=${hex(v)}`);
  return out;
}

test('records written with the prefixes added by the backend equal those written through the sublevels, and load back', async () => {
  const direct = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  const viaSublevels = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const commands: KvCommand[] = [
    { op: 'put', req: { key: enc('a'), value: enc('1') } },
    { op: 'leaseGrant', id: 7n, ttl: 60 },
    { op: 'put', req: { key: enc('b'), value: enc('2'), lease: 7n } },
    { op: 'alarm', action: 'activate', memberId: 3n, alarm: 1 },
    { op: 'deleteRange', req: { key: enc('a') } },
    { op: 'compact', req: { revision: 2, physical: true } },
    { op: 'alarm', action: 'deactivate', memberId: 0n, alarm: 0 },
    { op: 'leaseRevoke', id: 7n },
    { op: 'put', req: { key: enc('c'), value: new Uint8Array([0, 255, 128]) } },
  ];
  for (const db of [direct, viaSublevels]) {
    const sm = new KvStateMachine({ db });
    await sm.ready();
    for (let i = 0; i < commands.length; i++) {
      const [r] = await sm.apply([cmd(i + 1, commands[i]!)]);
      if (r?.ok === true) await r.physical; // a compaction's deletes run in the background: let them finish
    }
    await sm.close();
  }
  const want = await records(viaSublevels);
  expect(want.length).toBeGreaterThan(4);
  expect(await records(direct)).toEqual(want);
  // And the state loads back from the directly written records.
  const again = new KvStateMachine({ db: direct });
  expect(await again.appliedIndex()).toBe(commands.length);
  expect(again.store.rev).toBeGreaterThan(3);
});

test('direct writes to a classic-level database (keys carved from the shared byte pool) store the same records as writes through the sublevels', async () => {
  const db = levelDatabases('raftkit-direct-').find(([name]) => name === 'classic-level')![1]();
  const viaSublevels = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const commands: KvCommand[] = [];
  for (let i = 0; i < 40; i++) commands.push({ op: 'put', req: { key: enc(`k${i % 7}`), value: enc(`v${i}`) } });
  commands.push({ op: 'deleteRange', req: { key: enc('k3') } });
  for (const d of [db, viaSublevels]) {
    const sm = new KvStateMachine({ db: d });
    await sm.ready();
    for (let i = 0; i < commands.length; i++) await sm.apply([cmd(i + 1, commands[i]!)]);
    await sm.close();
  }
  await db.open();
  const got = await records(db);
  await db.close();
  expect(got.length).toBeGreaterThan(40);
  expect(got).toEqual(await records(viaSublevels));
});

test('a memory-level database, which keeps the arrays it is given, gets keys of their own (none keeps a shared pool buffer alive)', async () => {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  const sm = new KvStateMachine({ db });
  await sm.ready();
  for (let i = 0; i < 20; i++) await sm.apply([cmd(i + 1, { op: 'put', req: { key: enc(`k${i}`), value: enc('v') } })]);
  await sm.close();
  let keys = 0;
  for await (const k of db.keys({ keyEncoding: 'view' })) {
    keys++;
    expect(k.buffer.byteLength).toBe(k.byteLength);
  }
  expect(keys).toBeGreaterThan(20);
});
