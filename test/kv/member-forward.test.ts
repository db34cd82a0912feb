import { afterEach, expect, test } from 'vitest';
import { KvClient } from '../../src/kv/kv-client.js';
import { KvCluster } from './kv-cluster.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('membership calls made on a follower are forwarded to the leader (as etcd does): add, update, refused promote, remove', async () => {
  const c = (cluster = await KvCluster.create(3));
  const leader = await c.waitLeader();
  const followerId = [1, 2, 3].find((id) => id !== leader.id)!;
  const follower = c.client(followerId);
  // A second client on the leader: the change must still be made once (one executor per state machine).
  new KvClient(leader);
  const added = await follower.cluster.memberAdd(['inproc://98'], { learner: true });
  expect(added.member).toMatchObject({ peerURLs: ['inproc://98'], isLearner: true });
  // The follower's own list already holds the change (the result comes after it in the log).
  expect(added.members.map((m) => m.id)).toContain(added.member.id);
  expect(leader.status().config.learners).toEqual([Number(added.member.id)]);
  // The leader's refusal comes back with its code and text.
  await expect(follower.cluster.memberPromote(added.member.id)).rejects.toMatchObject({ code: 'ERR_MEMBERSHIP_REFUSED', message: expect.stringContaining('caught up') as string });
  const updated = await follower.cluster.memberUpdate(added.member.id, ['inproc://99']);
  expect(updated.members.find((m) => m.id === added.member.id)!.peerURLs).toEqual(['inproc://99']);
  expect(leader.status().members.get(Number(added.member.id))).toBe('inproc://99');
  const removed = await follower.cluster.memberRemove(added.member.id);
  expect(removed.members.map((m) => m.id)).toEqual([1n, 2n, 3n]);
  for (const id of [1, 2, 3]) expect((await c.client(id).cluster.memberList()).members).toHaveLength(3);
});
