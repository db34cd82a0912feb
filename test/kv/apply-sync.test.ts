/**
 * A batch of commands that read nothing first (plain puts, lease grants, alarms) is applied
 * before `apply` returns its promise: no promise and no turn of the microtask queue per command.
 * Commands that must read (a delete, a put with `prevKv`, a txn) and refusals still come out as
 * they do one at a time, in order.
 */
import { MemoryLevel } from 'memory-level';
import { expect, test } from 'vitest';
import { encodeCommand, type KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine, type KvResult } from '../../src/kv/kv-state-machine.js';
import { enc } from './helpers.js';

const cmd = (index: number, c: KvCommand): { index: number; term: number; data: Uint8Array } => ({ index, term: 1, data: encodeCommand(c) });

async function started(): Promise<KvStateMachine> {
  const sm = new KvStateMachine({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) });
  await sm.ready();
  return sm;
}

/** A result without its promise of the physical compaction, for comparison. */
const plain = (r: KvResult): unknown => (r.ok ? { ok: true, response: r.response } : { ok: false, error: r.error.constructor.name, message: r.error.message });

test('a batch of plain puts and grants is applied in the call, before anything else runs', async () => {
  const sm = await started();
  const commands: KvCommand[] = [
    { op: 'put', req: { key: enc('a'), value: enc('1') } },
    { op: 'leaseGrant', id: 9n, ttl: 60 },
    { op: 'put', req: { key: enc('b'), value: enc('2'), lease: 9n } },
    { op: 'put', req: { key: enc('a'), value: enc('3') } },
  ];
  let microtaskRan = false;
  queueMicrotask(() => {
    microtaskRan = true;
  });
  const pending = sm.apply(commands.map((c, i) => cmd(i + 1, c)));
  // Applied synchronously: the store is at the batch's last revision, and no queued microtask has run.
  expect(sm.store.rev).toBe(4);
  expect(microtaskRan).toBe(false);
  const results = await pending;
  expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
  expect(results.map((r) => (r.ok ? (r.response as { header: { revision: number } }).header.revision : -1))).toEqual([2, 2, 3, 4]);
  await sm.close();
});

test('a batch mixing synchronous and reading commands and refusals gives what applying them one by one gives', async () => {
  const commands: KvCommand[] = [
    { op: 'put', req: { key: enc('a'), value: enc('1') } },
    { op: 'put', req: { key: enc('b'), value: enc('2'), prevKv: true } },
    { op: 'put', req: { key: enc('c'), value: enc('3'), lease: 77n } }, // no such lease: refused
    { op: 'deleteRange', req: { key: enc('a'), prevKv: true } },
    { op: 'put', req: { key: enc('b'), value: enc('4'), prevKv: true } },
    { op: 'put', req: { key: enc('zz'), value: enc('5'), ignoreValue: true } }, // no such key: refused
    { op: 'txn', req: { compare: [], success: [{ requestPut: { key: enc('d'), value: enc('6') } }], failure: [] } },
    { op: 'put', req: { key: enc('e'), value: enc('7') } },
  ];
  const batch = await started();
  const together = (await batch.apply(commands.map((c, i) => cmd(i + 1, c)))).map(plain);
  const single = await started();
  const oneByOne: unknown[] = [];
  for (const [i, c] of commands.entries()) oneByOne.push(...(await single.apply([cmd(i + 1, c)])).map(plain));
  expect(together).toEqual(oneByOne);
  expect(together.map((r) => (r as { ok: boolean }).ok)).toEqual([true, true, false, true, true, false, true, true]);
  expect(batch.store.rev).toBe(single.store.rev);
  expect(batch.store.rev).toBe(7);
  await batch.close();
  await single.close();
});
