import { expect, test } from 'vitest';
import { SimCluster } from '../../../src/testing/sim/cluster.js';
import { StateType } from '../../../src/raft/ready.js';
import { encodeCommand, registerMachine } from './helpers/machines.js';

async function cluster(seed = 7, members = 3): Promise<SimCluster> {
  const sim = await SimCluster.start<unknown>({ seed, members, stateMachine: () => registerMachine() });
  await sim.runUntil(() => sim.leader() !== undefined, { timeoutMs: 5000 });
  return sim;
}

const write = (v: string): Uint8Array => encodeCommand(v, { op: 'write', value: v });

test('a two-way partition blocks messages and the majority side elects a leader', async () => {
  const sim = await cluster();
  const old = sim.leader()!.id;
  const others = sim.ids().filter((id) => id !== old);
  sim.partition([old], others);
  await sim.runUntil(() => sim.leader()?.id !== undefined && sim.leader()!.id !== old, { timeoutMs: 5000 });
  expect(sim.stats()).toMatchObject({ partitions: 1 });
  expect(sim.stats().network.blocked).toBeGreaterThan(0);
  sim.healNetwork();
  await sim.settle();
});

test('a one-way partition is counted and blocks only one direction', async () => {
  const sim = await cluster();
  const leader = sim.leader()!.id;
  const follower = sim.ids().find((id) => id !== leader)!;
  sim.partition([leader], [follower], { oneWay: true });
  await sim.advance(200);
  const st = sim.stats();
  expect(st.oneWayPartitions).toBe(1);
  expect(st.network.blocked).toBeGreaterThan(0);
  // The follower still reaches the leader (it hears no heartbeats, so it eventually campaigns).
  expect(sim.replica(follower)!.status().lifecycle).toBe('open');
});

test('message loss, duplication, reordering and delay are applied and counted', async () => {
  const sim = await cluster();
  sim.setLinkFaults({ drop: 0.2, duplicate: 0.2, reorder: 0.5 });
  await sim.advance(500);
  sim.setLinkFaults({ delayMs: [1, 30] });
  const before = sim.clock.now();
  const leader = sim.leader() ?? (await sim.settle());
  await sim.drive(leader.propose(write('x')), { timeoutMs: 5000 });
  expect(sim.clock.now()).toBeGreaterThan(before);
  const n = sim.stats().network;
  expect(n.dropped).toBeGreaterThan(0);
  expect(n.duplicated).toBeGreaterThan(0);
  expect(n.reordered).toBeGreaterThan(0);
  expect(sim.stats().linkFaults).toBe(2);
});

test('a crash loses unsynced writes; a restart recovers from the disk with a fresh state machine', async () => {
  const sim = await cluster();
  const leader = sim.leader()!;
  await sim.drive(leader.propose(write('a')));
  const victim = sim.ids().find((id) => id !== leader.id)!;
  const oldMachine = sim.stateMachine(victim);
  await sim.crash(victim);
  expect(sim.memberStatus(victim)!.state).toBe('down');
  await sim.drive(leader.propose(write('b')));
  await sim.restart(victim);
  expect(sim.stateMachine(victim)).not.toBe(oldMachine);
  await sim.settle();
  const st = sim.memberStatus(victim)!;
  expect(st.incarnation).toBe(2);
  expect(st.disk.crashes).toBe(1);
  expect(sim.stats()).toMatchObject({ crashes: 1, restarts: 1 });
  expect((sim.stateMachine(victim) as ReturnType<typeof registerMachine>).state).toBe('b');
});

test('a paused leader is replaced; on resume it steps down and catches up', async () => {
  const sim = await cluster();
  const old = sim.leader()!.id;
  sim.pause(old);
  expect(sim.memberStatus(old)!.state).toBe('paused');
  await sim.runUntil(() => sim.leader() !== undefined && sim.leader()!.id !== old, { timeoutMs: 5000 });
  sim.resume(old);
  await sim.settle();
  expect(sim.replica(old)!.status().role).not.toBe(StateType.Leader);
  expect(sim.stats().pauses).toBe(1);
});

test('clock skew changes how often a member ticks', async () => {
  const sim = await cluster();
  const id = sim.ids()[0]!;
  sim.skew(id, 2);
  expect(sim.memberStatus(id)!.clockRate).toBe(2);
  expect(sim.stats().skews).toBe(1);
  await sim.advance(500);
  await sim.settle();
});

test('a slow disk delays writes on virtual time', async () => {
  const sim = await cluster();
  const leader = sim.leader()!;
  for (const id of sim.ids()) sim.slowDisk(id, 25);
  const t0 = sim.clock.now();
  await sim.drive(leader.propose(write('slow')));
  expect(sim.clock.now() - t0).toBeGreaterThanOrEqual(25);
  expect(sim.stats().slowDisks).toBe(3);
  expect(sim.stats().slowWrites).toBeGreaterThan(0);
});

test('membership changes during a partition: add a learner, promote it, remove a voter', async () => {
  const sim = await cluster(11);
  const leader = await sim.settle();
  const follower = sim.ids().find((id) => id !== leader.id)!;
  sim.partition([follower], sim.ids().filter((id) => id !== follower));
  await sim.drive(sim.addMember(4, { learner: true }), { timeoutMs: 5000 });
  await sim.runUntil(() => (sim.replica(4)?.status().applied ?? 0) >= leader.status().commit, { timeoutMs: 5000 });
  await sim.advance(300); // let the leader see the learner as active
  await sim.drive(sim.promoteMember(4), { timeoutMs: 5000 });
  await sim.drive(sim.removeMember(follower), { timeoutMs: 5000 });
  sim.healNetwork();
  const l = await sim.settle();
  expect(l.status().config.voters.sort()).toEqual(sim.ids().filter((id) => id !== follower).sort());
  expect(sim.stats().membershipChanges).toBe(3);
});

test('chaos injects every fault kind over a long schedule, and heal + settle converge', async () => {
  const sim = await cluster(3, 5);
  const chaos = sim.chaos({ membership: 1, spares: [6, 7], intervalMs: [20, 120] });
  await sim.advance(20_000);
  await sim.heal();
  await sim.settle({ timeoutMs: 30_000 });
  for (const [kind, n] of Object.entries(chaos.counts)) expect(n, kind).toBeGreaterThan(0);
  const st = sim.stats();
  expect(st.crashes).toBeGreaterThan(0);
  expect(st.network.dropped + st.network.duplicated + st.network.blocked).toBeGreaterThan(0);
});

test('the trace records messages, persisted Readies, applies and faults', async () => {
  const sim = await cluster();
  await sim.drive(sim.leader()!.propose(write('t')));
  sim.isolate(1);
  const lines = sim.trace.lines().join('\n');
  expect(lines).toMatch(/send \d->\d MsgApp/);
  expect(lines).toMatch(/recv \d->\d MsgAppResp/);
  expect(lines).toMatch(/\d save sync hs=/);
  expect(lines).toMatch(/\d apply \d+\.\.\d+/);
  expect(lines).toMatch(/fault partition/);
  expect(sim.replayCommand('test/x.test.ts')).toBe(`RAFT_SEED=7 npx vitest run test/x.test.ts`);
});
