import { status } from '@grpc/grpc-js';
import { afterEach, expect, test } from 'vitest';
import type { MemberInfo } from '../../src/etcd/members.js';
import { callUnary, rawClient, startKvCluster, type KvCluster } from './helpers.js';

// etcd's strict reconfiguration check, as MemberAdd and MemberRemove answer it: a voter change
// needs the started voters (those whose name is known) to make a quorum of the voters after it
// ("not enough started members", FAILED_PRECONDITION), and enough voters in contact with the
// leader for its health interval ("unhealthy cluster", UNAVAILABLE).
let c: KvCluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const named = new Map<number, MemberInfo>([[1, { name: 'm1', clientUrls: [] }], [2, { name: 'm2', clientUrls: [] }]]);

/** A cluster in which every server knows the names of members 1 and 2 only: member 3 has not started. */
function startedOneAndTwo(healthIntervalMs = 0): Promise<KvCluster> {
  return startKvCluster([1, 2, 3], (replica) => ({ members: named, ...(replica.id === 3 ? { name: '' } : {}) }), undefined, undefined, { healthIntervalMs });
}

async function call(cluster: KvCluster, method: 'MemberAdd' | 'MemberRemove', req: object): Promise<Awaited<ReturnType<typeof callUnary>>> {
  const leader = await cluster.leader();
  return callUnary(rawClient('Cluster', cluster.urls.get(leader.id)!), method, req);
}

test('removing a started voter, or adding one, that would leave too few started voters: "not enough started members"', async () => {
  c = await startedOneAndTwo();
  const notEnough = { code: status.FAILED_PRECONDITION, details: 'etcdserver: re-configuration failed due to not enough started members' };
  // Without member 1, {2, 3} have one started member of two.
  expect((await call(c, 'MemberRemove', { ID: '1' })).err).toMatchObject(notEnough);
  // With a fourth voter, two started members of four.
  expect((await call(c, 'MemberAdd', { peerURLs: ['http://127.0.0.1:1'], isLearner: false })).err).toMatchObject(notEnough);
  expect((await c.leader()).status().config.voters.sort()).toEqual([1, 2, 3]);
  // Removing the member that has not started leaves {1, 2}, both started.
  const r = await call(c, 'MemberRemove', { ID: '3' });
  expect(r.err).toBeUndefined();
  expect((await c.leader()).status().config.voters.sort()).toEqual([1, 2]);
});

test('a voter change while too few voters have been in contact for the health interval: "unhealthy cluster"', async () => {
  c = await startKvCluster([1, 2, 3], { members: new Map([...named, [3, { name: 'm3', clientUrls: [] }]]) }, undefined, undefined, { healthIntervalMs: 600_000 });
  const unhealthy = { code: status.UNAVAILABLE, details: 'etcdserver: unhealthy cluster' };
  const follower = [1, 2, 3].find((id) => id !== c!.replicas.get(1)!.status().leader)!;
  expect((await call(c, 'MemberRemove', { ID: String(follower) })).err).toMatchObject(unhealthy);
  expect((await c.leader()).status().config.voters.sort()).toEqual([1, 2, 3]);
});
