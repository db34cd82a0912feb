import { expect, test } from 'vitest';
import { InProcessNetwork, MemoryStorage, Replica, type Command, type StateMachine } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';

// etcd's adjustTicks (`--initial-election-tick-advance`, and always for a single-member cluster):
// a member that is its cluster's only voter fast-forwards its election ticks at start, so its first
// campaign comes up to one election timeout sooner. Other members wait as before.

class Nothing implements StateMachine<number> {
  applied = 0;
  appliedIndex(): number { return this.applied; }
  apply(commands: readonly Command[]): number[] { return commands.map((c) => (this.applied = c.index)); }
  snapshot(): Uint8Array { return new Uint8Array(); }
  restore(s: { index: number }): void { this.applied = s.index; }
}

const ELECTION_TICK = 10;

/** Ticks (of 100 ms virtual time) until a leader is elected in a fresh cluster of `size` members. */
async function ticksToLeader(size: number, advance: boolean): Promise<number> {
  const clock = new ManualClock();
  const network = new InProcessNetwork({ scheduler: clock });
  const peers = Array.from({ length: size }, (_, i) => ({ id: i + 1, address: `inproc://${String(i + 1)}` }));
  const replicas = await Promise.all(peers.map((p) => Replica.start({
    id: p.id, peers, clock, tickMs: 100, electionTick: ELECTION_TICK, initialElectionTickAdvance: advance,
    storage: new MemoryStorage(), transport: network.transport(p.id), stateMachine: new Nothing(),
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

test('a lone voter with the advance campaigns within one election timeout, sooner than without it', async () => {
  const advanced: number[] = [];
  const plain: number[] = [];
  for (let run = 0; run < 8; run++) {
    advanced.push(await ticksToLeader(1, true));
    plain.push(await ticksToLeader(1, false));
  }
  // Without it, the first campaign waits a randomized timeout of at least ELECTION_TICK ticks.
  expect(Math.min(...plain)).toBeGreaterThanOrEqual(ELECTION_TICK);
  // With it, ELECTION_TICK - 1 ticks are already counted: the timeout ends within ELECTION_TICK more.
  expect(Math.max(...advanced)).toBeLessThanOrEqual(ELECTION_TICK);
  expect(advanced.reduce((a, b) => a + b)).toBeLessThan(plain.reduce((a, b) => a + b));
});

test('members of a cluster of several voters are not advanced: no leader before an election timeout', async () => {
  expect(await ticksToLeader(3, true)).toBeGreaterThanOrEqual(ELECTION_TICK);
});
