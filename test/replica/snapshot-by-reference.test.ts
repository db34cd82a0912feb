/**
 * Snapshots by reference (`StateMachine.persist` with `captureSnapshot`): the periodic
 * snapshot holds no state machine bytes, a lagging member gets the state captured when it is
 * sent (newer than the snapshot's index), and a restart trusts the state machine's own
 * database, refusing one that is behind what the snapshot recorded.
 */
import { afterEach, expect, test } from 'vitest';
import { StateMachineBehindSnapshotError } from '../../src/replica/errors.js';
import { MemoryLevel } from 'memory-level';
import { MessageType, type Message } from '../../src/raft/messages.js';
import { receiveSnapshotStream, refusedSnapshot } from '../../src/replica/snapshot-io.js';
import { decodeSnapshotPayload, encodeSnapshotPayloadHeader } from '../../src/replica/snapshot-payload.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { ByRefKvMachine, Cluster, set, waitUntil } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Member `id`'s state machine, a {@link ByRefKvMachine}. */
function byRef(c: Cluster, id: number): ByRefKvMachine {
  const m = c.machines.get(id);
  if (!(m instanceof ByRefKvMachine)) throw new Error(`member ${id} has no ByRefKvMachine`);
  return m;
}

/** Every index applied more than once by `sm` (none may be). */
function appliedTwice(sm: { applyCounts: Map<number, number> }): number[] {
  return [...sm.applyCounts].filter(([, n]) => n > 1).map(([i]) => i);
}

test('the periodic snapshot by reference stores no state bytes, records the durable applied index, and compacts the log', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 20, compactionTail: 5 }, {}, true));
  const leader = await c.waitLeader();
  const created: number[] = [];
  leader.on('snapshot', (kind, index) => kind === 'created' && created.push(index));
  for (let i = 0; i < 50; i++) await leader.propose(set(`k${i}`, String(i)));
  await waitUntil([leader], ['snapshot'], () => created.length >= 2, 'two snapshots');
  const storage = c.storages.get(leader.id)!;
  const snap = storage.snapshot();
  const payload = decodeSnapshotPayload(snap.data);
  const sm = byRef(c, leader.id);
  expect(payload.data.length).toBe(0);
  expect(payload.byReference).toBeDefined();
  // The index `persist` resolved with: every command up to the snapshot's index.
  expect(payload.byReference!.appliedIndex).toBeGreaterThan(0);
  expect(payload.byReference!.appliedIndex).toBeLessThanOrEqual(snap.metadata.index);
  expect(sm.persisted).toBeGreaterThanOrEqual(payload.byReference!.appliedIndex);
  expect([...payload.book.keys()].sort()).toEqual([1, 2, 3]);
  expect(storage.firstIndex()).toBe(snap.metadata.index - 5 + 1);
  // Nobody lagged: nothing was captured.
  for (const id of [1, 2, 3]) expect(byRef(c, id).captures).toBe(0);
});

test('a member behind the compacted log catches up through a snapshot by reference captured when sent: the state is newer than its index and nothing is applied twice', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 20, compactionTail: 5 }, {}, true));
  const { leader, lagging, created } = await c.leaveOneBehind(60);
  await waitUntil([leader], ['snapshot'], () => created.length >= 2, 'two snapshots');
  // Entries after the stored snapshot, so that the state sent is newer than its index.
  const snapIndex = c.storages.get(leader.id)!.snapshot().metadata.index;
  for (let i = 60; i < 63; i++) await leader.propose(set(`k${i}`, String(i)));
  expect(leader.status().applied).toBeGreaterThan(snapIndex);
  expect(c.storages.get(leader.id)!.firstIndex()).toBeGreaterThan(c.storages.get(lagging)!.lastIndex());

  // A fresh (empty) state machine: the snapshot must bring the whole state.
  c.machines.set(lagging, new ByRefKvMachine());
  const back = await c.start(lagging);
  const restored = new Promise<number>((resolve) => back.on('snapshot', (kind, index) => kind === 'restored' && resolve(index)));
  expect(await restored).toBe(snapIndex);
  await c.waitApplied(leader.status().commit);
  const sm = byRef(c, lagging);
  const leaderSm = byRef(c, leader.id);
  expect(sm.restores).toBe(1);
  expect(leaderSm.captures).toBeGreaterThan(0);
  // The entries between the snapshot's index and the captured state reached the session table
  // only: none of them was applied on top of a state that already held it.
  for (let i = snapIndex + 1; i <= leader.status().applied; i++) expect(sm.applyCounts.get(i) ?? 0).toBe(0);
  expect(appliedTwice(sm)).toEqual([]);
  expect([...sm.data].sort()).toEqual([...leaderSm.data].sort());
  for (let i = 0; i < 63; i++) expect(sm.data.get(`k${i}`)).toBe(String(i));
  // The receiver stored what it received, with its data (its own next snapshot is by reference).
  const stored = decodeSnapshotPayload(c.storages.get(lagging)!.snapshot().data);
  expect(stored.byReference).toBeUndefined();
  expect(stored.state?.index).toBeGreaterThan(snapIndex);
  expect(stored.data.length).toBeGreaterThan(0);
});

test('a restart trusts the state machine\'s own state past the snapshot by reference, and refuses one behind the index it recorded', async () => {
  const c = (cluster = new Cluster({ snapshotEvery: 10, compactionTail: 2 }));
  c.byReference = true;
  const r = await c.startAlone();
  for (let i = 0; i < 25; i++) await r.propose(set(`k${i}`, String(i)));
  await waitUntil([r], ['snapshot'], () => c.storages.get(1)!.firstIndex() > 1, 'a snapshot and a compaction');
  await c.stop(1);
  const recorded = decodeSnapshotPayload(c.storages.get(1)!.snapshot().data).byReference!.appliedIndex;
  const sm = byRef(c, 1);

  // Kept state machine: nothing restored, nothing applied twice, the same state.
  const again = await c.start(1);
  await c.waitLeader();
  await again.propose(set('after', 'restart'));
  expect(sm.restores).toBe(0);
  expect(appliedTwice(sm)).toEqual([]);
  expect(sm.data.get('k24')).toBe('24');
  await c.stop(1);

  // A state machine whose database was lost: refused, with both indexes named.
  const snapIndex = c.storages.get(1)!.snapshot().metadata.index;
  const recordedNow = decodeSnapshotPayload(c.storages.get(1)!.snapshot().data).byReference!.appliedIndex;
  expect(recordedNow).toBeGreaterThanOrEqual(recorded);
  c.machines.set(1, new ByRefKvMachine());
  const err = await c.start(1).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StateMachineBehindSnapshotError);
  const e = err as StateMachineBehindSnapshotError;
  expect({ code: e.code, snapshotIndex: e.snapshotIndex, recorded: e.recorded, applied: e.applied }).toEqual({
    code: 'ERR_STATE_MACHINE_BEHIND_SNAPSHOT', snapshotIndex: snapIndex, recorded: recordedNow, applied: 0,
  });
});

test('a streamed snapshot whose payload is by reference (no state) is refused at receipt; a payload with its state is stored and stepped', async () => {
  const storage = new LevelStorage({ db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) });
  await storage.open();
  const header = { book: new Map([[1, 'inproc://1']]), sessions: new Uint8Array(0) };
  const msg = (index: number): Message => ({ type: MessageType.MsgSnap, from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, snapshot: { metadata: { index, term: 1, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array(0) } });
  const receive = (m: Message, chunks: Uint8Array[]): Promise<{ accepted: boolean; stepped: number; refused: string[] }> =>
    new Promise((resolve) => {
      const out = { accepted: false, stepped: 0, refused: [] as string[] };
      const body = (async function* () {
        for (const c of chunks) yield await Promise.resolve(c);
      })();
      receiveSnapshotStream(m, body, (ok) => {
        out.accepted = ok;
        if (!ok) setTimeout(() => resolve(out), 0);
      }, { storage, isOpen: () => true, step: () => { out.stepped++; resolve(out); }, refused: (code) => out.refused.push(code) });
    });
  const byRef = encodeSnapshotPayloadHeader({ ...header, byReference: { appliedIndex: 9 } });
  expect(await receive(msg(10), [new Uint8Array(0), byRef])).toEqual({ accepted: false, stepped: 0, refused: ['ERR_INVALID_ARGUMENT'] });
  const withState = encodeSnapshotPayloadHeader({ ...header, state: { index: 12, term: 1 } });
  expect(await receive(msg(10), [withState, new Uint8Array([1, 2, 3])])).toEqual({ accepted: true, stepped: 1, refused: [] });
  // A state older than the snapshot's index would skip the entries in between: refused, even with its header split over chunks.
  const older = encodeSnapshotPayloadHeader({ ...header, state: { index: 8, term: 1 } });
  expect(await receive(msg(10), [older.subarray(0, 3), older.subarray(3), new Uint8Array([1, 2, 3])])).toEqual({ accepted: false, stepped: 0, refused: ['ERR_INVALID_ARGUMENT'] });
  // A header split over chunks is stored whole, byte for byte.
  expect(await receive(msg(10), [withState.subarray(0, 3), withState.subarray(3), new Uint8Array([4, 5])])).toEqual({ accepted: true, stepped: 1, refused: [] });
  await storage.close();
});

test('a snapshot message with its data inline is refused at the door when it is by reference or its state is older than its index', () => {
  const header = { book: new Map([[1, 'inproc://1']]), sessions: new Uint8Array(0) };
  const msg = (index: number, data: Uint8Array): Message => ({ type: MessageType.MsgSnap, from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, snapshot: { metadata: { index, term: 1, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data } });
  const state = (index: number): Uint8Array => encodeSnapshotPayloadHeader({ ...header, state: { index, term: 1 } });
  expect(refusedSnapshot(msg(10, encodeSnapshotPayloadHeader({ ...header, byReference: { appliedIndex: 9 } })))).toBe('ERR_SNAPSHOT_REF');
  expect(refusedSnapshot(msg(10, state(8)))).toBe('ERR_INVALID_ARGUMENT');
  expect(refusedSnapshot(msg(10, state(10)))).toBeUndefined();
  expect(refusedSnapshot(msg(10, state(12)))).toBeUndefined();
  expect(refusedSnapshot(msg(10, encodeSnapshotPayloadHeader(header)))).toBeUndefined();
  expect(refusedSnapshot({ ...msg(10, new Uint8Array(0)), type: MessageType.MsgApp, snapshot: undefined })).toBeUndefined();
});
