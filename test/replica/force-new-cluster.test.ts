import { afterEach, expect, test } from 'vitest';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { ConfChangeTransition, ConfChangeType, encodeConfChangeV2 } from '../../src/raft/conf-change.js';
import { EntryType } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { forceNewCluster } from '../../src/replica/force-new-cluster.js';
import { addr, Cluster, set, waitFor, waitUntil } from './helpers/cluster.js';

// etcd's --force-new-cluster, on a member's storage: after a permanent loss of quorum the
// member becomes the only one of its cluster, with every committed entry it holds, and the
// entries it held uncommitted are discarded.

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('a member of a lost cluster (a snapshot, then a member added after it) restarts alone with every committed key, and serves', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3], { snapshotEvery: 15, compactionTail: 3 }));
  const leader = await c.waitLeader();
  for (let i = 0; i < 30; i++) await leader.propose(set(`k${i}`, String(i)));
  await leader.addMember(4, addr(4), { learner: true });
  const joined = await c.start(4, { join: [1, 2, 3].map((id) => ({ id, address: addr(id) })) });
  await waitUntil([joined], ['applied'], () => joined.status().applied >= leader.status().commit, 'the learner to catch up');
  for (let i = 30; i < 40; i++) await leader.propose(set(`k${i}`, String(i)));
  await c.waitApplied(leader.status().commit);
  const survivor = [1, 2, 3].find((id) => id !== leader.id)!;
  for (const id of [1, 2, 3, 4]) await c.stop(id);
  const forced = await forceNewCluster(c.storages.get(survivor)!, survivor);
  expect(forced.removed).toEqual([1, 2, 3, 4].filter((id) => id !== survivor));
  const alone = await c.start(survivor);
  await c.waitLeader();
  expect(alone.status().config.voters).toEqual([survivor]);
  expect(alone.status().config.learners).toEqual([]);
  await alone.propose(set('after', 'force'));
  const sm = c.machines.get(survivor)!;
  for (let i = 0; i < 40; i++) expect(sm.data.get(`k${i}`)).toBe(String(i));
  expect(sm.data.get('after')).toBe('force');
  // Restarted without forcing, it stays alone with its data; forcing again changes nothing.
  await c.stop(survivor);
  expect((await forceNewCluster(c.storages.get(survivor)!, survivor)).removed).toEqual([]);
  const again = await c.start(survivor);
  await c.waitLeader();
  expect(again.status().config.voters).toEqual([survivor]);
  expect(c.machines.get(survivor)!.data.get('after')).toBe('force');
});

test('entries the member held uncommitted are discarded, as etcd discards them', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  await leader.propose(set('kept', 'yes'));
  await c.waitApplied(leader.status().commit);
  c.network.isolate(leader.id);
  const lost = leader.propose(set('lost', 'never committed')).catch(() => undefined);
  await waitFor(() => c.storages.get(leader.id)!.lastIndex() > leader.status().commit, 'the uncommitted entry stored');
  for (const id of [1, 2, 3]) await c.stop(id);
  await lost;
  c.network.heal();
  await forceNewCluster(c.storages.get(leader.id)!, leader.id);
  const alone = await c.start(leader.id);
  await c.waitLeader();
  await alone.propose(set('after', 'force'));
  const sm = c.machines.get(leader.id)!;
  expect(sm.data.get('kept')).toBe('yes');
  expect(sm.data.get('lost')).toBeUndefined();
  expect(sm.data.get('after')).toBe('force');
});

test('refused, naming why: a storage with no configuration, a member not in it, a joint configuration', async () => {
  await expect(forceNewCluster(new MemoryStorage(), 1)).rejects.toThrow(ConfigInvalidError);
  const s = new MemoryStorage();
  const cc = (type: ConfChangeType, nodeId: number, index: number) => ({ term: 1, index, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2({ transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [{ type, nodeId }] }) });
  s.save({ hardState: { term: 1, vote: 0, commit: 2 }, entries: [cc(ConfChangeType.ConfChangeAddNode, 1, 1), cc(ConfChangeType.ConfChangeAddNode, 2, 2)] });
  await expect(forceNewCluster(s, 7)).rejects.toThrow(/member 7 is not in the stored configuration \(1, 2\)/);
  // Two voters changed in one step: a joint configuration.
  s.save({
    hardState: { term: 1, vote: 0, commit: 3 },
    entries: [{ term: 1, index: 3, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2({ transition: ConfChangeTransition.ConfChangeTransitionJointExplicit, changes: [{ type: ConfChangeType.ConfChangeAddNode, nodeId: 3 }, { type: ConfChangeType.ConfChangeRemoveNode, nodeId: 2 }] }) }],
  });
  await expect(forceNewCluster(s, 1)).rejects.toThrow(/joint/);
});
