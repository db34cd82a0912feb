/**
 * The KV snapshotted by reference (`snapshotByReference`), as etcd's: the Replica's snapshot
 * holds no KV records, a lagging member gets the KV captured when it is sent, and a member that
 * crashes in the middle of restoring it restores again from what it stored.
 */
import { MemoryLevel } from 'memory-level';
import { afterEach, expect, test } from 'vitest';
import { encodeCommand } from '../../src/kv/commands.js';
import { KvStateMachine, type KvResult } from '../../src/kv/kv-state-machine.js';
import { range } from '../../src/kv/mvcc/range.js';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { currentSnapshot, openSnapshotPayload } from '../../src/replica/snapshot-io.js';
import { joinChunks } from '../../src/replica/snapshot-payload.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { waitUntil } from '../replica/helpers/cluster.js';

type Db = MemoryLevel<Uint8Array, Uint8Array>;

/** Makes the next `clear` of `db` (and of its sublevels) fail: a disk lost in the middle of a KV restore. */
function failNextClear(db: Db): void {
  const target = db as unknown as { _clear: (options: unknown) => Promise<void> };
  const original = target._clear.bind(db);
  target._clear = (): Promise<void> => {
    target._clear = original;
    return Promise.reject(new Error('the disk went away in the middle of the restore'));
  };
}

const newDb = (): Db => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
const ids = [1, 2, 3];
const peers = ids.map((id) => ({ id, address: `inproc://${id}` }));

interface Member {
  replica: Replica<KvResult>;
  sm: KvStateMachine;
  storage: LevelStorage;
}

let network = new InProcessNetwork();
const running = new Set<Replica<KvResult>>();
afterEach(async () => {
  await Promise.all([...running].map((r) => r.stop()));
  running.clear();
  network.close();
  network = new InProcessNetwork();
});

/** Starts member `id` on its Raft database and KV database (both survive restarts). */
async function member(id: number, raftDb: Db, kvDb: Db): Promise<Member> {
  const storage = new LevelStorage({ db: raftDb });
  const sm = new KvStateMachine({ db: kvDb, electionMs: 100, snapshotByReference: true });
  const replica = await Replica.start<KvResult>({ id, peers, storage, transport: network.transport(id), stateMachine: sm, tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: id, snapshotEvery: 30, compactionTail: 3 });
  running.add(replica);
  return { replica, sm, storage };
}

async function stop(m: Member): Promise<void> {
  await m.replica.stop();
  running.delete(m.replica);
}

/** Every live key with its value and mod revision. */
async function everything(sm: KvStateMachine): Promise<string[]> {
  await sm.ready();
  const r = await range(sm.store.readView(), { key: '\0', rangeEnd: '\0' });
  return r.kvs.map((kv) => `${new TextDecoder().decode(kv.key)}=${new TextDecoder().decode(kv.value)}@${kv.modRevision}`);
}

const put = (i: number): Uint8Array => encodeCommand({ op: 'put', req: { key: `k${i % 40}`, value: `v${i}`, lease: 0n } });

/** Three members; the leader's and one follower's (the lagging one) handles. */
async function cluster(): Promise<{ dbs: { raft: Db; kv: Db }[]; members: Member[]; leader: Member; lagging: number }> {
  const dbs = ids.map(() => ({ raft: newDb(), kv: newDb() }));
  const members = await Promise.all(ids.map((id, i) => member(id, dbs[i]!.raft, dbs[i]!.kv)));
  const replicas = members.map((m) => m.replica);
  let leader: Member | undefined;
  await waitUntil(replicas as never, ['leader-change'], () => {
    leader = members.find((m) => m.replica.status().role === StateType.Leader);
    return leader !== undefined && replicas.every((r) => r.status().leader === leader!.replica.id);
  }, 'a leader');
  const lagging = members.findIndex((m) => m !== leader);
  return { dbs, members, leader: leader!, lagging };
}

/** Stops the lagging member, writes past two snapshots and a few entries after the last, and checks the leader's snapshot holds no KV. */
async function leaveBehind(leader: Member, lagging: Member): Promise<number> {
  const behind = lagging.storage.lastIndex();
  await stop(lagging);
  const created: number[] = [];
  leader.replica.on('snapshot', (kind, index) => kind === 'created' && created.push(index));
  for (let i = 0; i < 100; i++) await leader.replica.propose(put(i));
  await waitUntil([leader.replica] as never, ['snapshot'], () => created.length >= 2, 'two snapshots on the leader');
  const snap = currentSnapshot(leader.storage);
  const payload = await openSnapshotPayload(snap, leader.storage);
  expect(payload.byReference).toBeDefined();
  expect((await joinChunks(payload.chunks)).length).toBe(0);
  expect(leader.storage.firstIndex()).toBeGreaterThan(behind);
  // Applied past the snapshot: the KV sent is newer than the snapshot's index.
  for (let i = 100; i < 105; i++) await leader.replica.propose(put(i));
  return snap.metadata.index;
}

test('a KV snapshotted by reference: the leader stores no KV bytes, a lagging member restores the KV captured when sent, and every member ends with the same KV', async () => {
  const { dbs, members, leader, lagging } = await cluster();
  const snapIndex = await leaveBehind(leader, members[lagging]!);
  const back = await member(ids[lagging]!, dbs[lagging]!.raft, dbs[lagging]!.kv);
  const restored: number[] = [];
  back.replica.on('snapshot', (kind, index) => kind === 'restored' && restored.push(index));
  await waitUntil([back.replica] as never, ['applied', 'snapshot'], () => back.replica.status().applied >= leader.replica.status().commit, 'the lagging member to catch up');
  expect(restored).toEqual([snapIndex]);
  const stored = await openSnapshotPayload(currentSnapshot(back.storage), back.storage);
  expect(stored.state!.index).toBeGreaterThan(snapIndex);
  await joinChunks(stored.chunks);
  const want = await everything(leader.sm);
  for (const m of [...members.filter((x) => x !== members[lagging]), back]) {
    expect(await everything(m.sm)).toEqual(want);
    // No entry applied twice: a double apply would add revisions.
    expect(m.sm.store.rev).toBe(leader.sm.store.rev);
  }
});

test('a member that crashes in the middle of restoring a KV sent by reference restores it again from what it stored, at the state\'s own index', async () => {
  const { dbs, members, leader, lagging } = await cluster();
  await leaveBehind(leader, members[lagging]!);
  failNextClear(dbs[lagging]!.kv);
  const back = await member(ids[lagging]!, dbs[lagging]!.raft, dbs[lagging]!.kv);
  // The restore fails part way (the KV's applied index is already cleared): the replica stops.
  const errors: Error[] = [];
  back.replica.on('error', (e) => errors.push(e));
  await waitUntil([back.replica] as never, ['error'], () => errors.some((e) => (e as { code?: string }).code === 'ERR_APPLY_FAILED'), 'the failed restore to stop the member');
  await stop(back);
  const look = new LevelStorage({ db: dbs[lagging]!.raft });
  await look.open();
  expect((await openSnapshotPayload(currentSnapshot(look), look)).state).toBeDefined();
  await look.close();

  const again = await member(ids[lagging]!, dbs[lagging]!.raft, dbs[lagging]!.kv);
  await waitUntil([again.replica] as never, ['applied'], () => again.replica.status().applied >= leader.replica.status().commit, 'the restarted member to catch up');
  expect(await everything(again.sm)).toEqual(await everything(leader.sm));
  expect(again.sm.store.rev).toBe(leader.sm.store.rev);
  // Its KV is durable at the state it restored: a restart restores nothing.
  await stop(again);
  const third = await member(ids[lagging]!, dbs[lagging]!.raft, dbs[lagging]!.kv);
  const restored: number[] = [];
  third.replica.on('snapshot', (kind, index) => kind === 'restored' && restored.push(index));
  await leader.replica.propose(put(200));
  await waitUntil([third.replica] as never, ['applied'], () => third.replica.status().applied >= leader.replica.status().commit, 'the member after its restart');
  expect(restored).toEqual([]);
  expect(await everything(third.sm)).toEqual(await everything(leader.sm));
});
