import { expect, test } from 'vitest';
import { InProcessNetwork, MemoryStorage, Replica, type Command, type StateMachine } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';

class Counter implements StateMachine<number> {
  applied = 0;
  appliedIndex(): number {
    return this.applied;
  }
  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => (this.applied = c.index));
  }
  snapshot(): Uint8Array {
    return new Uint8Array();
  }
  restore(s: { index: number }): void {
    this.applied = s.index;
  }
}

/** Fires every timer due within `ms` of virtual time, letting promises settle after each. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  const until = clock.now() + ms;
  await new Promise((r) => setImmediate(r));
  while (clock.step(until)) await new Promise((r) => setImmediate(r));
  clock.jump(until);
}

// Regression: input that reached a member between its Ready loop's last check and the loop's
// end (every reply delivered in a microtask, as InProcessNetwork does) waited for the next tick,
// so each proposal took about one tick. With a 1 s tick, a proposal must now commit and apply
// within a few milliseconds of virtual time.
test('a proposal does not wait for a tick: with tickMs 1000 it applies within 20 ms of virtual time', async () => {
  const clock = new ManualClock();
  const network = new InProcessNetwork({ scheduler: clock });
  const peers = [1, 2, 3].map((id) => ({ id, address: `inproc://${id}` }));
  const replicas = await Promise.all(
    peers.map((p) => Replica.start({ id: p.id, peers, clock, tickMs: 1000, storage: new MemoryStorage(), transport: network.transport(p.id), stateMachine: new Counter() })),
  );
  for (let i = 0; i < 60 && !replicas.some((r) => r.status().roleName === 'leader'); i++) await advance(clock, 1000);
  const leader = replicas.find((r) => r.status().roleName === 'leader')!;
  expect(leader).toBeDefined();
  for (let k = 0; k < 5; k++) {
    let done = false;
    void leader.propose(Uint8Array.of(k)).then(() => (done = true));
    await advance(clock, 20);
    expect(done, `proposal ${k}`).toBe(true);
  }
  await Promise.all(replicas.map((r) => r.stop()));
});
