import { MemoryLevel } from 'memory-level';
import { expect, test, vi } from 'vitest';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { Replica } from '../../src/replica/replica.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import type { StateMachine } from '../../src/replica/state-machine.js';
import { KvMachine, set } from '../replica/helpers/cluster.js';

const newDb = (): MemoryLevel<Uint8Array, Uint8Array> => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
const confState = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const join = async (it: AsyncIterable<Uint8Array>): Promise<number[]> => {
  const out: number[] = [];
  for await (const c of it) out.push(...c);
  return out;
};

test('open leaves a snapshot larger than snapshotLoadBytes on disk: it is read in chunks, and snapshot() loads it on demand', async () => {
  const db = newDb();
  const s = await LevelStorage.open({ db, voters: [1], snapshotChunkSize: 4 });
  const data = Uint8Array.from({ length: 40 }, (_, i) => i);
  const ref = await s.stageSnapshot({ index: 20, term: 2 }, [data]);
  await s.save({ snapshot: { data: ref, metadata: { index: 20, term: 2, confState } }, entries: [], sync: true });
  await s.close();

  const big = await LevelStorage.open({ db, snapshotLoadBytes: 39 });
  expect(big.snapshotRef().metadata.index).toBe(20);
  expect(await join(big.readSnapshotChunks(20))).toEqual([...data]);
  // Not in memory: the first snapshot() starts loading it, as after a writeSnapshot.
  expect(() => big.snapshot()).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_TEMPORARILY_UNAVAILABLE' }) as Error);
  // The load runs in the background: poll until it has finished (no fixed sleep).
  const loaded = await vi.waitFor(() => big.snapshot(), { timeout: 10_000, interval: 5 });
  expect([...loaded.data]).toEqual([...data]);
  await big.close();

  // At or under the limit (default 4 MiB) it is loaded on open, as before.
  const small = await LevelStorage.open({ db, snapshotLoadBytes: 40 });
  expect([...small.snapshot().data]).toEqual([...data]);
  await small.close();
  for (const bad of [-1, 1.5, Number.NaN]) expect(() => new LevelStorage({ db, snapshotLoadBytes: bad })).toThrow(expect.objectContaining({ code: 'ERR_STORAGE_INVALID_ARGUMENT' }) as Error);
});

/** Starts (or restarts) a 1-member replica on `db`, snapshotting every 5 entries. */
async function startOn<R>(db: MemoryLevel<Uint8Array, Uint8Array>, sm: StateMachine<R>, net: InProcessNetwork, snapshotLoadBytes?: number): Promise<Replica<R>> {
  const storage = await LevelStorage.open({ db, ...(snapshotLoadBytes === undefined ? {} : { snapshotLoadBytes }) });
  return Replica.start<R>({ id: 1, peers: [{ id: 1, address: 'inproc://1' }], storage, transport: net.transport(1), stateMachine: sm, tickMs: 5, electionTick: 10, heartbeatTick: 1, snapshotEvery: 5, compactionTail: 1 });
}

test('a replica restarts on a snapshot that open left on disk: a buffered state machine is restored from the chunks, and a KvStateMachine streams it', async () => {
  const net = new InProcessNetwork();
  // A buffered state machine.
  const db = newDb();
  let r = await startOn<number>(db, new KvMachine(), net);
  for (let i = 0; i < 12; i++) await r.propose(set(`k${i}`, String(i)));
  await r.stop();
  const sm = new KvMachine();
  r = await startOn<number>(db, sm, net, 1);
  expect(sm.restores).toBe(1);
  expect(sm.data.get('k3')).toBe('3');
  await r.propose(set('after', 'x'));
  expect(sm.data.get('after')).toBe('x');
  await r.stop();

  // The KV (streamed snapshots).
  const kvDb = newDb();
  let kr = await startOn<unknown>(kvDb, new KvStateMachine({ db: newDb(), electionMs: 50 }), net);
  let kv = new KvClient(kr);
  for (let i = 0; i < 12; i++) await kv.put(`k${i}`, String(i));
  await kr.stop();
  kr = await startOn<unknown>(kvDb, new KvStateMachine({ db: newDb(), electionMs: 50 }), net, 1);
  kv = new KvClient(kr);
  expect((await kv.range('k', { prefix: true })).count).toBe(12);
  await kv.put('after', 'x');
  await kr.stop();
  net.close();
});
