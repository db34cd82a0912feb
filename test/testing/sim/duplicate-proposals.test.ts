import { expect, test } from 'vitest';
import { jepsenRun } from './helpers/jepsen.js';

/**
 * KNOWN ISSUE (found by the Jepsen suite): when the network duplicates a forwarded `MsgProp`,
 * the leader appends the proposal twice and every member applies the command twice. A write
 * re-applied after a later write makes the history non-linearizable (here, seed 40: a register
 * write is applied again after another client's acknowledged write). TCP does not duplicate
 * frames, but Raft is meant to tolerate duplication, and nothing dedupes proposals: the Replica
 * would need a per-proposer table of applied `(incarnation, seq)` kept in its snapshots.
 * Until then, state machines must dedupe by request id (Raft thesis §6.3 client sessions), as
 * the suite's machines do by default.
 *
 * This test is expected to fail while the issue stands; once the Replica dedupes, vitest
 * reports it as passing unexpectedly: remove `.fails` then.
 */
test.fails('no command is applied twice when the network duplicates messages (seed 40)', async () => {
  const r = await jepsenRun({ kind: 'register', members: 3, seed: 40, ops: 150, dedupe: false });
  expect(r.duplicates).toBe(0);
  expect(r.check.ok).toBe(true);
});

test('with client-session dedupe in the state machine the same seed is linearizable', async () => {
  const r = await jepsenRun({ kind: 'register', members: 3, seed: 40, ops: 150, dedupe: true });
  expect(r.duplicates).toBeGreaterThan(0);
  expect(r.check.ok).toBe(true);
  expect(r.missing).toEqual([]);
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
