import { MemoryLevel } from 'memory-level';
import { afterEach, expect, test } from 'vitest';
import { AlarmType } from '../../src/kv/alarms/alarm-table.js';
import { encodeCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { msgpackFrame } from './helpers.js';
import { KvCluster } from './kv-cluster.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const nospace = (id: number) => [{ memberId: BigInt(id), alarm: AlarmType.NOSPACE }];

test('a raised NOSPACE alarm is still active after every member restarts (persisted with the batch that applied it), and a disarm is too', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  await c.client(leader.id).put('before', 'x');
  await c.client(leader.id).alarms.activate(AlarmType.NOSPACE);
  for (const id of [1, 2, 3]) await c.stop(id);
  for (const id of [1, 2, 3]) await c.start(id);
  await c.waitLeader();
  for (const id of [1, 2, 3]) {
    expect((await c.client(id).alarms.list()).alarms).toEqual(nospace(leader.id));
    expect((await c.client(id).maintenance.status()).errors).toEqual([`memberID:${leader.id} alarm:NOSPACE`]);
    await expect(c.client(id).put('k', 'v')).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
  }
  // Reads and deletes still work; a disarm is persisted as well.
  expect((await c.client(1).range('before')).kvs).toHaveLength(1);
  await c.client(2).deleteRange('before');
  await c.client(3).alarms.disarm();
  for (const id of [1, 2, 3]) await c.stop(id);
  for (const id of [1, 2, 3]) await c.start(id);
  await c.waitLeader();
  for (const id of [1, 2, 3]) expect((await c.client(id).alarms.list()).alarms).toEqual([]);
  await c.client(1).put('after', 'y');
});

test('a member that catches up through a Raft snapshot gets the raised alarm with the snapshot', async () => {
  const c = (cluster = await KvCluster.create(3, {}, { snapshotEvery: 10, compactionTail: 2 }));
  const leader = await c.waitLeader();
  const lagging = [1, 2, 3].find((id) => id !== leader.id)!;
  await c.stop(lagging);
  const kv = c.client(leader.id);
  for (let i = 0; i < 10; i++) await kv.put(`k${i}`, 'v');
  await kv.alarms.activate(AlarmType.NOSPACE);
  // Deletes are allowed under NOSPACE: they move the log past the lagging member's position.
  for (let i = 0; i < 10; i++) await kv.deleteRange(`k${i}`);
  const back = await c.start(lagging);
  const snapshots: string[] = [];
  c.replicas.get(lagging)!.on('snapshot', (kind) => snapshots.push(kind));
  expect((await back.range('k', { prefix: true })).kvs).toEqual([]);
  expect(snapshots).toContain('restored');
  expect(back.alarms.active()).toEqual(nospace(leader.id));
  // The restored member's own state machine refuses the put (each member applies the alarm).
  await expect(back.put('k', 'v')).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
});

test('KV snapshots carry the alarms; a snapshot of format 2 (before alarms) is still read', async () => {
  const db = () => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  const src = new KvStateMachine({ db: db() });
  await src.appliedIndex();
  await src.apply([
    { index: 1, term: 1, data: encodeCommand({ op: 'put', req: { key: 'a', value: '1' } }) },
    { index: 2, term: 1, data: encodeCommand({ op: 'alarm', action: 'activate', memberId: 7n, alarm: AlarmType.NOSPACE }) },
    { index: 3, term: 1, data: encodeCommand({ op: 'alarm', action: 'activate', memberId: 9n, alarm: AlarmType.CORRUPT }) },
  ]);
  const dst = new KvStateMachine({ db: db() });
  await dst.appliedIndex();
  await dst.restore({ index: 3, term: 1, data: await src.snapshot() });
  expect(dst.alarms.list()).toEqual([
    { memberId: 7n, alarm: AlarmType.NOSPACE },
    { memberId: 9n, alarm: AlarmType.CORRUPT },
  ]);
  const v2 = new Uint8Array([...msgpackFrame(['raftkit-kv', 2, -1, 1]), ...msgpackFrame(['end', 0, 0])]);
  await dst.restore({ index: 4, term: 1, data: v2 });
  expect(dst.alarms.list()).toEqual([]);
  expect(dst.store.rev).toBe(1);
});
