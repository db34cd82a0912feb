import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callUnary, rawClient, startKvCluster, until, type KvCluster } from './helpers.js';

// MemberList's `linearizable` flag (newer etcd's MemberListRequest field 1): the list is served
// after a ReadIndex, so a member cut off from the leader never answers a list older than a
// membership change already made; without the flag the member answers from its own state.
let c: KvCluster;
let leader: number;
let follower: number;

beforeAll(async () => {
  c = await startKvCluster([1, 2, 3]);
  leader = (await c.leader()).id;
  follower = [...c.replicas.keys()].find((id) => id !== leader)!;
  // The follower is cut off, then the other two add a learner it cannot learn of.
  c.network.isolate(follower);
  await c.clients.get(leader)!.cluster.memberAdd(['inproc://4'], { learner: true, id: 4 });
});
afterAll(async () => {
  await c.close();
});

/** MemberList on the follower: the member ids listed, or the gRPC error. */
async function memberList(linearizable: boolean, metadata = new Metadata(), deadlineMs = 2000): Promise<{ ids?: string[]; err?: ServiceError }> {
  const client = rawClient('Cluster', c.urls.get(follower)!);
  const { res, err } = await new Promise<{ res?: { members: { ID: string }[] }; err?: ServiceError }>((resolve) => {
    (client.MemberList as (r: object, m: Metadata, o: object, cb: (e: ServiceError | null, r: { members: { ID: string }[] }) => void) => void)(
      { linearizable }, metadata, { deadline: Date.now() + deadlineMs }, (e, r) => resolve(e === null ? { res: r } : { err: e }),
    );
  });
  client.close();
  return err === undefined ? { ids: res!.members.map((m) => m.ID).sort() } : { err };
}

test('a cut-off follower answers a linearizable MemberList with an error, never its stale list; a serializable one with its own list', async () => {
  expect((await memberList(false)).ids).toEqual(['1', '2', '3']); // etcd 3.4's local answer: stale here
  const { ids, err } = await memberList(true, new Metadata(), 300);
  expect(ids).toBeUndefined();
  expect([status.DEADLINE_EXCEEDED, status.UNAVAILABLE]).toContain(err?.code);
  // Once it has noticed it has no leader, `hasleader` fails the call at once as etcd's "no leader".
  await until(() => c.replicas.get(follower)!.status().leader === 0, 'the follower to lose its leader');
  const md = new Metadata();
  md.set('hasleader', 'true');
  const fast = await memberList(true, md);
  expect(fast.err?.code).toBe(status.UNAVAILABLE);
  expect(fast.err?.details).toBe('etcdserver: no leader');
});

test('once reconnected, a linearizable MemberList on the follower lists the learner added meanwhile', async () => {
  c.network.heal();
  await until(() => c.replicas.get(follower)!.status().leader !== 0, 'the follower to find the leader again');
  const { ids, err } = await memberList(true);
  expect(err).toBeUndefined();
  expect(ids).toEqual(['1', '2', '3', '4']);
  const client = rawClient('Cluster', c.urls.get(follower)!);
  expect((await callUnary(client, 'MemberList', {})).err).toBeUndefined();
  client.close();
});
