import { expect, test } from 'vitest';
import { InProcessNetwork, MemoryStorage, Replica, type Command, type StateMachine } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';
import { Cluster } from './helpers/cluster.js';

// etcd's adjustTicks (`--initial-election-tick-advance`, and always for a single-member cluster):
// a member fast-forwards its election ticks at start, so its first campaign comes up to one
// election timeout sooner: its cluster's only voter, and (with PreVote and CheckQuorum, which keep
// an early campaign from unseating a leader) a voter of a larger cluster.

class Nothing implements StateMachine<number> {
  applied = 0;
  appliedIndex(): number { return this.applied; }
  apply(commands: readonly Command[]): number[] { return commands.map((c) => (this.applied = c.index)); }
  snapshot(): Uint8Array { return new Uint8Array(); }
  restore(s: { index: number }): void { this.applied = s.index; }
}

const ELECTION_TICK = 10;

/**
 * Ticks (of 100 ms virtual time) until a leader is elected in a fresh cluster of `size` members,
 * or, given `storages`, in the cluster they hold (a restart; the state machines start empty).
 */
async function ticksToLeader(size: number, advance: boolean | 'lone-voter', preVote = true, storages?: MemoryStorage[]): Promise<number> {
  const clock = new ManualClock();
  const network = new InProcessNetwork({ scheduler: clock });
  const peers = Array.from({ length: size }, (_, i) => ({ id: i + 1, address: `inproc://${String(i + 1)}` }));
  const replicas = await Promise.all(peers.map((p, i) => Replica.start({
    id: p.id, peers, clock, tickMs: 100, electionTick: ELECTION_TICK, initialElectionTickAdvance: advance, preVote,
    storage: storages?.[i] ?? new MemoryStorage(), transport: network.transport(p.id), stateMachine: new Nothing(),
  })));
  try {
    for (let tick = 1; tick <= 4 * ELECTION_TICK; tick++) {
      const until = clock.now() + 100;
      await new Promise((r) => setImmediate(r));
      while (clock.step(until)) await new Promise((r) => setImmediate(r));
      clock.jump(until);
      if (replicas.some((r) => r.status().roleName === 'leader')) return tick;
    }
    throw new Error('no leader');
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

/** Ticks to the first leader of fresh clusters of `size`, 8 with the advance and 8 without, taking turns. */
async function withAndWithout(size: number): Promise<{ advanced: number[]; plain: number[] }> {
  const advanced: number[] = [];
  const plain: number[] = [];
  for (let run = 0; run < 8; run++) {
    advanced.push(await ticksToLeader(size, true));
    plain.push(await ticksToLeader(size, false));
  }
  return { advanced, plain };
}

test('a lone voter with the advance campaigns within one election timeout, sooner than without it', async () => {
  const { advanced, plain } = await withAndWithout(1);
  // Without it, the first campaign waits a randomized timeout of at least ELECTION_TICK ticks.
  expect(Math.min(...plain)).toBeGreaterThanOrEqual(ELECTION_TICK);
  // With it, ELECTION_TICK - 1 ticks are already counted: the timeout ends within ELECTION_TICK more.
  expect(Math.max(...advanced)).toBeLessThanOrEqual(ELECTION_TICK);
  expect(advanced.reduce((a, b) => a + b)).toBeLessThan(plain.reduce((a, b) => a + b));
});

test('a lone voter is advanced at every start: after a restart too, once it has applied its log again (its configuration with it)', async () => {
  const storage = new MemoryStorage();
  await ticksToLeader(1, true, true, [storage]);
  const restarted: number[] = [];
  for (let run = 0; run < 4; run++) restarted.push(await ticksToLeader(1, 'lone-voter', true, [storage]));
  expect(Math.max(...restarted)).toBeLessThanOrEqual(ELECTION_TICK);
  // Without the advance a restart waits out a randomized election timeout.
  expect(await ticksToLeader(1, false, true, [storage])).toBeGreaterThanOrEqual(ELECTION_TICK);
});

test('voters of a three-member cluster are advanced with PreVote: the first leader comes sooner than without', async () => {
  const { advanced, plain } = await withAndWithout(3);
  expect(Math.min(...plain)).toBeGreaterThanOrEqual(ELECTION_TICK);
  // ELECTION_TICK - 2 ticks counted: the first member's timeout ends within ELECTION_TICK + 2 ticks of
  // the start at the latest, then a pre-vote and a vote round.
  expect(Math.max(...advanced)).toBeLessThanOrEqual(ELECTION_TICK + 3);
  expect(advanced.reduce((a, b) => a + b)).toBeLessThan(plain.reduce((a, b) => a + b) - 8 * (ELECTION_TICK / 2));
});

test('not advanced in a larger cluster: with \'lone-voter\' (etcd with the flag off), or without PreVote', async () => {
  for (let run = 0; run < 3; run++) {
    expect(await ticksToLeader(3, 'lone-voter')).toBeGreaterThanOrEqual(ELECTION_TICK);
    expect(await ticksToLeader(3, true, false)).toBeGreaterThanOrEqual(ELECTION_TICK);
  }
  // 'lone-voter' still advances a single-member cluster.
  expect(await ticksToLeader(1, 'lone-voter')).toBeLessThanOrEqual(ELECTION_TICK);
});

/**
 * Restarts a follower of a three-member cluster `rounds` times; after each start the leader's
 * messages reach it only after `cutMs` (10 ms ticks), as when the leader must reconnect first.
 * Returns the highest term before the first round and after each, with whether the first leader led.
 */
async function restartsBehindSlowLeader(options: { preVote: boolean; advance: boolean }, rounds: number, cutMs: number): Promise<{ term: number; sameLeader: boolean }[]> {
  const c = await Cluster.create([1, 2, 3], { preVote: options.preVote, initialElectionTickAdvance: options.advance });
  try {
    const leader = await c.waitLeader();
    const follower = [1, 2, 3].find((id) => id !== leader.id)!;
    const seen: { term: number; sameLeader: boolean }[] = [{ term: leader.status().term, sameLeader: true }];
    for (let round = 0; round < rounds; round++) {
      await c.stop(follower);
      c.network.partition([leader.id], [follower], { oneWay: true });
      await c.start(follower, { preVote: options.preVote, initialElectionTickAdvance: options.advance });
      await new Promise((r) => setTimeout(r, cutMs));
      c.network.heal();
      await c.waitLeader();
      seen.push({ term: Math.max(...[1, 2, 3].map((id) => c.replicas.get(id)!.status().term)), sameLeader: leader.status().roleName === 'leader' });
    }
    return seen;
  } finally {
    await c.close();
  }
}

test('a voter restarted into a cluster with a leader it has not heard from yet campaigns early but unseats no one, with PreVote', async () => {
  // Cut off for three election timeouts: the advanced member surely (pre-)campaigns meanwhile.
  const guarded = await restartsBehindSlowLeader({ preVote: true, advance: true }, 4, 300);
  expect(guarded.every((r) => r.sameLeader && r.term === guarded[0]!.term)).toBe(true);
  // What PreVote prevents (and why the advance of a larger cluster needs it): without it, the
  // same restarts raise the term and unseat the leader.
  const unguarded = await restartsBehindSlowLeader({ preVote: false, advance: true }, 4, 300);
  expect(unguarded.at(-1)!.term).toBeGreaterThan(unguarded[0]!.term);
});
