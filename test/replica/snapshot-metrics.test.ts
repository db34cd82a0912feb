import { afterEach, expect, test } from 'vitest';
import type { MetricJSON } from '../../src/replica/metrics.js';
import type { StateMachineSnapshot } from '../../src/replica/state-machine.js';
import { Cluster, KvMachine, set, waitFor } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** The value of the unlabelled sample of `name` (a histogram's `_count`/`_sum` by `series`). */
function value(json: Record<string, MetricJSON>, name: string, series?: string): number {
  const m = json[name];
  if (m === undefined) throw new Error(`${name} is not exported`);
  const v = m.values.find((s) => series === undefined ? s.metricName === undefined : s.metricName === `${name}_${series}`);
  return v?.value ?? 0;
}

test('each local snapshot is timed (save and marshalling) and each log compaction after it counted', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 5, compactionTail: 1 }));
  const leader = await c.waitLeader();
  const before = await leader.metricsJSON();
  expect(value(before, 'raft_snapshot_save_duration_seconds', 'count')).toBe(0);
  expect(value(before, 'raft_snapshot_marshalling_duration_seconds', 'count')).toBe(0);
  expect(value(before, 'raft_log_compactions_total')).toBe(0);
  const created: number[] = [];
  leader.on('snapshot', (kind, index) => kind === 'created' && created.push(index));
  for (let i = 0; i < 12; i++) await leader.propose(set(`k${i}`, 'v'));
  await waitFor(() => created.length >= 2, 'two snapshots on the leader');
  const json = await leader.metricsJSON();
  expect(value(json, 'raft_snapshot_save_duration_seconds', 'count')).toBe(created.length);
  expect(value(json, 'raft_snapshot_marshalling_duration_seconds', 'count')).toBe(created.length);
  // The marshalling is a part of the save.
  expect(value(json, 'raft_snapshot_marshalling_duration_seconds', 'sum')).toBeLessThanOrEqual(value(json, 'raft_snapshot_save_duration_seconds', 'sum'));
  // Every snapshot here compacts the log (its index minus the tail is past the first index).
  expect(value(json, 'raft_log_compactions_total')).toBe(created.length);
  // Compacted up to the last snapshot's index minus the tail of 1: the first index is the snapshot's.
  expect(c.storages.get(leader.id)!.firstIndex()).toBe(created.at(-1));
  // etcd's buckets: 1 ms doubling to 8.192 s.
  const les = json['raft_snapshot_save_duration_seconds']!.values.filter((s) => s.metricName?.endsWith('_bucket') === true).map((s) => String(s.labels['le']));
  expect(les).toEqual(['0.001', '0.002', '0.004', '0.008', '0.016', '0.032', '0.064', '0.128', '0.256', '0.512', '1.024', '2.048', '4.096', '8.192', '+Inf']);
  expect(await leader.metrics()).toContain('raft_snapshot_restore_in_progress 0');
});

/** A promise that resolves once {@link Gate.release} is called. */
class Gate {
  release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
}

/** A {@link KvMachine} whose `restore` starts, then waits for {@link HeldRestore.hold}. */
class HeldRestore extends KvMachine {
  started = false;
  readonly hold = new Gate();

  override restore(s: StateMachineSnapshot): Promise<void> {
    this.started = true;
    return this.hold.opened.then(() => super.restore(s));
  }
}

test('a member restoring the leader\'s snapshot says so until the restore ends', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 10, compactionTail: 2 }));
  const leader = await c.waitLeader();
  const lagging = c.running().find((r) => r.id !== leader.id)!.id;
  await c.stop(lagging);
  for (let i = 0; i < 30; i++) await leader.propose(set(`k${i}`, String(i)));
  expect(c.storages.get(leader.id)!.firstIndex()).toBeGreaterThan(c.storages.get(lagging)!.lastIndex());
  const held = new HeldRestore();
  c.machines.set(lagging, held);
  const back = await c.start(lagging);
  const restored = new Promise<number>((resolve) => back.on('snapshot', (kind, index) => kind === 'restored' && resolve(index)));
  await waitFor(() => held.started, 'the restore to start');
  expect(value(await back.metricsJSON(), 'raft_snapshot_restore_in_progress')).toBe(1);
  held.hold.release();
  await restored;
  expect(value(await back.metricsJSON(), 'raft_snapshot_restore_in_progress')).toBe(0);
  await c.waitApplied(leader.status().commit);
  expect(held.restores).toBe(1);
  expect(held.data.get('k29')).toBe('29');
});

/** A {@link KvMachine} whose snapshot chunks start, then wait for {@link HeldSnapshot.hold}. */
class HeldSnapshot extends KvMachine {
  started = false;
  readonly hold = new Gate();

  async *snapshotChunks(): AsyncGenerator<Uint8Array> {
    this.started = true;
    await this.hold.opened;
    yield this.snapshot();
  }
}

test('a local snapshot is reported in progress from its start until it is current', async () => {
  const held = new HeldSnapshot();
  const c = (cluster = new Cluster({ snapshotEvery: 5 }));
  c.machines.set(1, held);
  const r = await c.start(1, { peers: [{ id: 1, address: 'inproc://1' }] });
  await c.waitLeader();
  expect(value(await r.metricsJSON(), 'raft_snapshot_save_in_progress')).toBe(0);
  const created = new Promise<number>((resolve) => r.on('snapshot', (kind, index) => kind === 'created' && resolve(index)));
  const proposed = Array.from({ length: 6 }, (_, i) => r.propose(set(`k${String(i)}`, 'v')));
  await waitFor(() => held.started, 'the snapshot to start');
  expect(value(await r.metricsJSON(), 'raft_snapshot_save_in_progress')).toBe(1);
  expect(value(await r.metricsJSON(), 'raft_snapshot_save_duration_seconds', 'count')).toBe(0);
  held.hold.release();
  await created;
  await Promise.all(proposed);
  expect(value(await r.metricsJSON(), 'raft_snapshot_save_in_progress')).toBe(0);
  expect(value(await r.metricsJSON(), 'raft_snapshot_save_duration_seconds', 'count')).toBe(1);
});
