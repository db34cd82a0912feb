import { afterEach, expect, test } from 'vitest';
import { getEventListeners } from 'node:events';
import { AbortedError, InvalidArgumentError } from '../../src/replica/errors.js';
import { Cluster, addr, set } from './helpers/cluster.js';
import { StateType } from '../../src/raft/ready.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('an aborted signal gives up a waiting proposal and read with AbortedError and forgets them', async () => {
  const c = (cluster = new Cluster());
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  const r = await c.start(1, { peers }); // alone of three: never a leader, requests wait
  const ac = new AbortController();
  const p = r.propose(set('a', '1'), { signal: ac.signal });
  const q = r.read({ signal: ac.signal });
  expect(r.status().pending).toBe(2);
  ac.abort('bye');
  await expect(p).rejects.toBeInstanceOf(AbortedError);
  await expect(q).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: 'bye' });
  expect(r.status().pending).toBe(0);
  // Already aborted: refused before anything is proposed.
  await expect(r.propose(set('a', '2'), { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
  await expect(r.read({ signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
  expect(r.status().pending).toBe(0);
});

test('request options are checked on proposals, reads and membership changes', async () => {
  const c = (cluster = new Cluster());
  const peers = [1, 2, 3].map((id) => ({ id, address: addr(id) }));
  const r = await c.start(1, { peers });
  await expect(r.propose(set('a', '1'), { signal: {} as never })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(r.read({ signal: 'x' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(r.removeMember(2, { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(r.updateMember(2, addr(2), { waitForLeader: 'no' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(r.addMember(4, addr(4), { learner: true, timeoutMs: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
});

test('an aborted signal gives up a waiting leadership transfer and a joint membership change', async () => {
  const c = (cluster = await Cluster.create([1, 2, 3]));
  const leader = await c.waitLeader();
  const to = c.running().find((r) => r.id !== leader.id)!.id;
  await c.stop(to); // a transferee that is down never leads: the transfer waits
  const ac = new AbortController();
  const t = leader.transferLeadership(to, { signal: ac.signal, timeoutMs: 600_000 });
  ac.abort('enough');
  await expect(t).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: 'enough' });
  // Already aborted: refused before anything is proposed; the configuration is unchanged.
  await expect(leader.transferLeadership(to, { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
  await expect(leader.changeMembership([{ type: 'remove', id: to }], { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
  expect(leader.status().config.voters.length).toBe(3);
  await expect(leader.changeMembership([{ type: 'remove', id: to }], { timeoutMs: -5 })).rejects.toBeInstanceOf(InvalidArgumentError);
  expect(leader.status().role).toBe(StateType.Leader);
});

test('a request that settles stops listening to its signal (a long-lived signal gathers no listeners)', async () => {
  const c = (cluster = new Cluster());
  const r = await c.startAlone();
  const ac = new AbortController();
  for (let i = 0; i < 5; i++) {
    await r.propose(set('a', String(i)), { signal: ac.signal });
    await r.read({ signal: ac.signal });
  }
  expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  // Failed (here: timed out while no leader can be reached) also stops listening.
  const lone = await c.start(2, { peers: [2, 3, 4].map((id) => ({ id, address: addr(id) })), requestTimeoutMs: 50 });
  await expect(lone.propose(set('b', '1'), { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  await expect(lone.read({ signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  ac.abort('late');
  expect(r.status().pending + lone.status().pending).toBe(0);
});
