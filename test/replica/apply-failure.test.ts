import { afterEach, expect, test } from 'vitest';
import { ApplyFailedError } from '../../src/replica/errors.js';
import type { Command } from '../../src/replica/state-machine.js';
import { Cluster, KvMachine, addr, set, waitFor } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const dec = new TextDecoder();

/** A KvMachine that, while `broken`, applies a batch up to its first `poison=` command and then throws. */
class PoisonableKv extends KvMachine {
  broken = false;

  override async apply(commands: readonly Command[]): Promise<number[]> {
    const bad = this.broken ? commands.findIndex((c) => dec.decode(c.data).startsWith('poison=')) : -1;
    if (bad < 0) return super.apply(commands);
    await super.apply(commands.slice(0, bad));
    throw new Error(`cannot apply entry ${commands[bad]!.index}`);
  }
}

test('a state machine that throws stops its replica; after a fix and a restart it applies every entry, none skipped', async () => {
  const c = (cluster = new Cluster());
  const ids = [1, 2, 3];
  const peers = ids.map((id) => ({ id, address: addr(id) }));
  for (const id of ids) c.machines.set(id, new PoisonableKv());
  await Promise.all(ids.map((id) => c.start(id, { peers })));
  const leader = await c.waitLeader();
  const x = c.running().find((r) => r.id !== leader.id)!;
  const sm = c.machines.get(x.id) as PoisonableKv;
  for (let i = 0; i < 5; i++) await leader.propose(set(`before${i}`, 'v'));
  sm.broken = true;

  const errors: Error[] = [];
  x.on('error', (err) => errors.push(err));
  const poison = x.propose(set('poison', '1'));
  const other = x.propose(set('other', '1'));
  const err = await poison.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplyFailedError);
  const failedAt = (err as ApplyFailedError).index;
  expect(err).toMatchObject({ code: 'ERR_APPLY_FAILED' });
  expect((err as Error).cause).toBeInstanceOf(Error);
  // Every other pending request fails too: with the same error when in the same batch, else StoppedError.
  await expect(other).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(APPLY_FAILED|STOPPED)$/) as unknown });
  await waitFor(() => x.lifecycle === 'closed', 'the replica to stop');
  expect(errors).toEqual([err]);
  expect(x.status().applied).toBeLessThan(failedAt);
  expect(sm.applied).toBeLessThan(failedAt);
  await expect(x.propose(set('k', 'v'))).rejects.toMatchObject({ code: 'ERR_STOPPED' });

  // The others applied the poison entry and go on without the stopped member.
  for (let i = 0; i < 5; i++) await leader.propose(set(`after${i}`, 'v'));
  expect(c.machines.get(leader.id)!.data.get('poison')).toBe('1');

  // Fixed and restarted, it applies from its state machine's applied index: the failed entry first.
  sm.broken = false;
  await c.start(x.id);
  await c.waitApplied(leader.status().commit);
  expect(sm.data.get('poison')).toBe('1');
  expect(sm.data.get('after4')).toBe('v');
  const leaderSm = c.machines.get(leader.id)!;
  expect([...sm.applyCounts.keys()].sort((a, b) => a - b)).toEqual([...leaderSm.applyCounts.keys()].sort((a, b) => a - b));
  for (const [index, count] of sm.applyCounts) expect(count, `index ${index}`).toBe(1);
  expect(new Map(sm.data)).toEqual(new Map(leaderSm.data));
});
