import { expect, test } from 'vitest';
import { jepsenRun } from './helpers/jepsen.js';

/**
 * Regression (found by the Jepsen suite): when the network duplicates a forwarded `MsgProp`,
 * the leader appends the proposal twice. Every member used to apply the command twice, and a
 * write re-applied after a later write made the history non-linearizable (seed 40: a register
 * write applied again after another client's acknowledged write). The Replica now keeps client
 * sessions (Raft thesis §6.3, `src/replica/sessions.ts`) and drops the second copy, so the
 * suite's state machines no longer dedupe by request id themselves.
 */
test('no command is applied twice when the network duplicates messages (first seed from 40 with a duplicated proposal)', async () => {
  // Seed 40 duplicated a proposal when the bug was found; scheduling changes move which seed
  // does, so take the first seed from 40 on where the network made the leader commit a copy.
  let r = await jepsenRun({ kind: 'register', members: 3, seed: 40, ops: 150 });
  for (let seed = 41; r.droppedDuplicates === 0 && seed < 80; seed++) r = await jepsenRun({ kind: 'register', members: 3, seed, ops: 150 });
  expect(r.droppedDuplicates).toBeGreaterThan(0);
  expect(r.duplicates).toBe(0);
  expect(r.check.ok).toBe(true);
  expect(r.missing).toEqual([]);
  expect(r.diverged).toEqual([]);
});

/**
 * Regression (found by the Jepsen suite, register on 5 members, seed 158 with 300 ops): a
 * follower relays a `MsgReadIndex`/`MsgProp` it received from a member that wrongly took it for
 * the leader, keeping the original sender in `from` (as etcd does). The transport refuses to
 * send a message that is not from its own member and threw inside the Ready loop, which
 * stopped the replica for good, so the cluster never settled. The loop now drops relays.
 */
test('a relayed message no longer stops the relaying replica (register on 5 members, seed 158)', async () => {
  const r = await jepsenRun({ kind: 'register', members: 5, seed: 158, ops: 300 });
  expect(r.check.ok).toBe(true);
  expect(r.missing).toEqual([]);
  expect(r.diverged).toEqual([]);
});
