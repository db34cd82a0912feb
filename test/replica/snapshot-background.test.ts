import { afterEach, expect, test } from 'vitest';
import { decodeSnapshotPayload } from '../../src/replica/snapshot-payload.js';
import { Cluster, KvMachine, addr, set, waitUntil } from './helpers/cluster.js';

/** A promise the test settles. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/**
 * A {@link KvMachine} whose snapshot chunks wait on `hold` after the first byte. With
 * `captureSnapshot` it copies its state at the call (a point-in-time view); its
 * `snapshotChunks` reads the live state, as that contract allows, so a replica that used it
 * would have to hold applies until the last chunk.
 */
class HeldMachine extends KvMachine {
  /** The applied index and state bytes at each capture. */
  readonly captures: { index: number; state: Uint8Array }[] = [];
  hold: Promise<void> | undefined;

  captureSnapshot(): AsyncIterable<Uint8Array> {
    const state = this.snapshot();
    this.captures.push({ index: this.applied, state });
    return this.held(() => state);
  }

  snapshotChunks(): AsyncIterable<Uint8Array> {
    return this.held(() => this.snapshot());
  }

  private async *held(state: () => Uint8Array): AsyncGenerator<Uint8Array> {
    yield state().subarray(0, 1);
    if (this.hold !== undefined) await this.hold;
    yield state().subarray(1);
  }
}

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** A one-member cluster (snapshots every 10 entries, 2 kept) whose machine holds its snapshots' chunks until `held` is released. */
async function startHeld(): Promise<{ c: Cluster; sm: HeldMachine; held: ReturnType<typeof gate>; r: Awaited<ReturnType<Cluster['start']>> }> {
  const c = (cluster = new Cluster({ snapshotEvery: 10, compactionTail: 2 }));
  const sm = new HeldMachine();
  const held = gate();
  sm.hold = held.promise;
  const r = await c.startAlone(sm);
  return { c, sm, held, r };
}

test('entries are applied while a snapshot is encoded; the snapshot holds exactly the state at its index', async () => {
  const { sm, held, r, c } = await startHeld();
  const storage = c.storages.get(1)!;
  const indexes = new Map<string, number>();
  for (let n = 0; sm.captures.length === 0; n++) indexes.set(`k${n}`, await r.propose(set(`k${n}`, String(n))));
  const { index, state } = sm.captures[0]!;
  const firstIndex = storage.firstIndex();
  // The snapshot's chunks are held: proposals go on being applied (more than `snapshotEvery` of them).
  for (let i = 0; i < 15; i++) indexes.set(`late${i}`, await r.propose(set(`late${i}`, String(i))));
  expect(sm.data.get('late14')).toBe('14');
  expect(r.status().applied).toBeGreaterThan(index + 15);
  // Nothing is stored or compacted yet, and no second snapshot starts while this one is in flight.
  expect(storage.snapshot().metadata.index).toBeLessThan(index);
  expect(storage.firstIndex()).toBe(firstIndex);
  expect(sm.captures).toHaveLength(1);
  const created: number[] = [];
  r.on('snapshot', (kind, i) => {
    if (kind === 'created') created.push(i);
  });
  held.release();
  await waitUntil([r], ['snapshot'], () => created.includes(index), `the snapshot at ${index}`);
  const stored = storage.snapshot();
  expect(stored.metadata.index).toBe(index);
  const data = decodeSnapshotPayload(stored.data).data;
  expect(Array.from(data)).toEqual(Array.from(state));
  const keys = (JSON.parse(new TextDecoder().decode(data)) as [string, string][]).map(([k]) => k);
  expect(keys).toEqual([...indexes].filter(([, i]) => i <= index).map(([k]) => k));
  expect(keys.length).toBeGreaterThan(0);
  expect(storage.firstIndex()).toBe(index - 2 + 1);
  // The snapshot that came due meanwhile is taken once the first is stored, with no further entry.
  await waitUntil([r], ['snapshot'], () => created.length === 2, 'the second snapshot');
  expect(sm.captures[1]!.index).toBe(r.status().applied);
});

test('a member added while a snapshot is in flight gets a snapshot that includes it, taken once the first is stored', async () => {
  const { c, sm, held, r } = await startHeld();
  for (let n = 0; sm.captures.length === 0; n++) await r.propose(set(`k${n}`, String(n)));
  await r.addMember(2, addr(2), { learner: true });
  expect(sm.captures).toHaveLength(1);
  held.release();
  // No entry follows: the snapshot renewed past the conf change comes from the stored one finishing.
  await waitUntil([r], ['snapshot'], () => sm.captures.length === 2, 'a snapshot past the conf change');
  const joined = await c.start(2, { join: [{ id: 1, address: addr(1) }] });
  await waitUntil([joined], ['applied'], () => joined.status().applied >= r.status().commit, 'the new member to catch up');
  expect(c.machines.get(2)!.restores).toBe(1);
  expect([...c.machines.get(2)!.data]).toEqual([...sm.data]);
});

test('a state machine without captureSnapshot still holds applies while its live chunks are read', async () => {
  const c = (cluster = new Cluster({ snapshotEvery: 10, compactionTail: 2 }));
  const sm = new HeldMachine();
  (sm as { captureSnapshot?: unknown }).captureSnapshot = undefined;
  let keysAtRead: string[] | undefined;
  const chunks = sm.snapshotChunks.bind(sm);
  sm.snapshotChunks = () => {
    keysAtRead = [...sm.data.keys()];
    return chunks();
  };
  const held = gate();
  sm.hold = held.promise;
  c.machines.set(1, sm);
  const r = await c.start(1, { peers: [{ id: 1, address: 'inproc://1' }] });
  await c.waitLeader();
  // Propose one at a time until the snapshot starts; the proposal in flight then may wait for it.
  const pending: Promise<number>[] = [];
  for (let n = 0; keysAtRead === undefined; n++) {
    const p = r.propose(set(`k${n}`, String(n)));
    pending.push(p);
    await Promise.race([p, waitFor(() => keysAtRead !== undefined)]);
  }
  const late = r.propose(set('late', '1'));
  // Committed, but not applied until the snapshot's chunks are read.
  await waitFor(() => r.status().commit > r.status().applied);
  expect(sm.data.has('late')).toBe(false);
  held.release();
  await Promise.all([...pending, late]);
  expect(sm.data.get('late')).toBe('1');
  const snap = c.storages.get(1)!.snapshot();
  const keys = (JSON.parse(new TextDecoder().decode(decodeSnapshotPayload(snap.data).data)) as [string, string][]).map(([k]) => k);
  expect(keys).toEqual(keysAtRead);
});

/** Resolves (polling macrotasks) once `cond` holds; fails after about 10 s. */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(cond()).toBe(true);
}
