/**
 * A leader holds back a commit-only append to a follower that proposed none of the entries it
 * commits, until the next append to that follower supersedes it or the hold ends: such a
 * follower waits on nothing, and each append it is spared also spares its acknowledgement. A
 * follower holds its acknowledgement of a commit-only append the same way, until its next one.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { createMessage, MessageType, type Message } from '../../src/raft/messages.js';
import { systemClock, type Cancel, type Clock } from '../../src/replica/clock.js';
import { COMMIT_HOLD_MS, CommitHold } from '../../src/replica/commit-hold.js';
import { encodeEnvelope } from '../../src/replica/envelope.js';
import type { Replica } from '../../src/replica/replica.js';
import { Cluster, clusterWatchingSends, set, waitFor } from './helpers/cluster.js';

const commit = (to: number, c: number, term = 2): Message => createMessage({ type: MessageType.MsgApp, from: 1, to, term, logTerm: 2, index: c, commit: c });
const append = (to: number, index: number): Message =>
  createMessage({ type: MessageType.MsgApp, from: 1, to, term: 2, logTerm: 2, index: index - 1, commit: index - 1, entries: [entry(index, 1)] });
const beat = (to: number): Message => createMessage({ type: MessageType.MsgHeartbeat, from: 1, to, term: 2, commit: 1 });
const entry = (index: number, proposer: number): Entry => ({ index, term: 2, type: EntryType.EntryNormal, data: encodeEnvelope({ proposer, incarnation: 7, seq: index }, set('k', 'v')) });
const ack = (index: number, term = 2, reject = false): Message => createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term, index, reject });
const acks = (ms: readonly Message[]): string[] => ms.map((m) => `${m.type === MessageType.MsgAppResp ? (m.reject ? 'reject' : 'ack') : 'prop'}@${m.index}`);
const brief = (ms: readonly Message[]): string[] => ms.map((m) => `${m.type === MessageType.MsgHeartbeat ? 'beat' : m.entries.length > 0 ? 'append' : 'commit'}>${m.to}@${m.commit}`);

describe('CommitHold', () => {
  test('takes the commit-only appends to followers that proposed none of the committed entries', () => {
    const h = new CommitHold();
    const ms = [commit(2, 5), commit(3, 5), beat(3)];
    // Entry 5 was proposed by 2: its commit goes now; 3's is held.
    expect(brief(h.take(ms, [entry(5, 2)]))).toEqual(['commit>2@5', 'beat>3@1']);
    expect(h.size).toBe(1);
    // Nothing to take: the same array back.
    const none = [commit(2, 6)];
    expect(h.take(none, [entry(6, 2)])).toBe(none);
  });

  test("holds the commit-only append to a proposer the leader acknowledged past its entries; a new leadership forgets the acknowledgements", () => {
    const h = new CommitHold();
    const leaderAck = (to: number, index: number): Message => createMessage({ type: MessageType.MsgAppResp, from: 1, to, term: 2, index });
    h.noteLeaderAcks([leaderAck(2, 5)]);
    // Entry 5 (2's) was acknowledged to 2: its commit is held; entry 6 (2's too) was not: it goes now.
    expect(brief(h.take([commit(2, 5), commit(3, 5)], [entry(5, 2)]))).toEqual([]);
    expect(brief(h.take([commit(2, 6), commit(3, 6)], [entry(5, 2), entry(6, 2)]))).toEqual(['commit>2@6']);
    h.reset();
    expect(h.size).toBe(0);
    expect(brief(h.take([commit(2, 5)], [entry(5, 2)]))).toEqual(['commit>2@5']);
  });

  test('a later append of the same term supersedes the held one; any other message to the peer sends it first', () => {
    const h = new CommitHold();
    h.take([commit(2, 5), commit(3, 5)], [entry(5, 1)]);
    // A newer commit-only append replaces the held one of its peer.
    h.take([commit(3, 6)], [entry(6, 1)]);
    expect(h.size).toBe(2);
    const later = [append(2, 7), beat(3)];
    expect(brief(h.settle(later))).toEqual(['commit>3@6', 'append>2@6', 'beat>3@1']);
    expect(h.size).toBe(0);
    // An append of a later term does not supersede (sent first, as if it were slow).
    h.take([commit(2, 8)], [entry(8, 1)]);
    expect(brief(h.settle([commit(2, 9, 3)]))).toEqual(['commit>2@8', 'commit>2@9']);
    // Messages to other peers leave it held; release hands it over.
    h.take([commit(2, 9)], [entry(9, 1)]);
    const other = [append(3, 10)];
    expect(h.settle(other)).toBe(other);
    expect(brief(h.release())).toEqual(['commit>2@9']);
    expect(h.size).toBe(0);
  });
});

describe('CommitHold, on a follower', () => {
  test('holds acknowledgements until the next one of the same term supersedes them; other messages pass them', () => {
    const h = new CommitHold();
    h.takeAcks([ack(5)]);
    h.takeAcks([ack(4)]); // older: the held one stays
    expect(h.size).toBe(1);
    expect(h.settle([ack(4)])).toHaveLength(1); // ack@4 does not supersede the held ack@5...
    expect(h.size).toBe(1); // ...which stays held
    const next = [ack(6)];
    expect(h.settle(next)).toBe(next); // superseded: dropped
    expect(h.size).toBe(0);
    h.takeAcks([ack(6)]);
    const prop = [createMessage({ type: MessageType.MsgProp, from: 2, to: 1, term: 2, entries: [entry(7, 2)] })];
    expect(h.settle(prop)).toBe(prop); // a forwarded proposal passes it
    const reject = [ack(7, 2, true)];
    expect(h.settle(reject)).toBe(reject); // so does a rejection (it does not supersede)
    expect(h.settle([ack(7, 3)])).toHaveLength(1); // nor does a later term's
    expect(acks(h.release())).toEqual(['ack@6']);
    expect(h.size).toBe(0);
    const withReject = [ack(8), ack(8, 2, true)];
    expect(h.takeAcks(withReject)).toBe(withReject); // not only acknowledgements: nothing is held
    expect(h.size).toBe(0);
  });
});

describe('a leader in a running cluster', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  /**
   * A real clock whose commit holds end only when the test calls `ends`, and whose other timers
   * (the 20 ms ticks: heartbeats, elections) do nothing while `paused`.
   */
  const heldClock = (ends: (() => void)[], gate: { paused: boolean }): Clock => ({
    now: () => performance.now(),
    soon: (fn: () => void) => setImmediate(fn),
    every(ms: number, fn: () => void): Cancel {
      if (ms !== COMMIT_HOLD_MS) {
        return systemClock.every(ms, () => {
          if (!gate.paused) fn();
        });
      }
      ends.push(fn);
      return () => undefined;
    },
  });

  /**
   * A cluster on that clock, warmed up (one request applied everywhere), its ticks paused from
   * here on (a heartbeat would carry the commit index); `log` has the sends from here on, as
   * [from, to, type, entries], and `endHolds` ends the holds started so far.
   */
  async function start(): Promise<{ c: Cluster; leader: Replica<number>; followers: number[]; log: [number, number, number, number][]; endHolds: () => void }> {
    const log: [number, number, number, number][] = [];
    const ends: (() => void)[] = [];
    const gate = { paused: false };
    const c = (cluster = await clusterWatchingSends((_, ms) => {
      for (const m of ms) log.push([m.from, m.to, m.type, m.entries.length]);
    }, { tickMs: 20, electionTick: 50, heartbeatTick: 25, clock: heldClock(ends, gate) }));
    const leader = await c.waitLeader();
    const endHolds = (): void => {
      for (const end of ends.splice(0)) end();
    };
    await c.waitApplied(await leader.propose(set('warm', 'up')), [leader.id]);
    endHolds();
    await c.waitApplied(leader.status().applied);
    gate.paused = true;
    log.length = 0;
    return { c, leader, followers: [...c.replicas.keys()].filter((id) => id !== leader.id), log, endHolds };
  }

  /** The leader's appends to each follower since the log was emptied: 'append' (with entries) or 'commit'. */
  const appendsTo = (log: readonly (readonly [number, number, number, number])[], leader: number, to: number): string[] =>
    log.filter(([from, t, type]) => from === leader && t === to && type === MessageType.MsgApp).map(([, , , n]) => (n > 0 ? 'append' : 'commit'));

  test("spares a follower that waits on nothing the commit index between two of the leader's own requests, and sends it once the hold ends", async () => {
    const { c, leader, followers, log, endHolds } = await start();
    // Each follower's log writes (of entries) and applies, in order.
    const steps = new Map(followers.map((f) => [f, [] as string[]]));
    for (const f of followers) {
      const storage = c.storages.get(f)!;
      const save = storage.save.bind(storage);
      storage.save = (req) => {
        for (const e of req.entries) steps.get(f)!.push(`save ${e.index}`);
        return save(req);
      };
      const sm = c.machines.get(f)!;
      const apply = sm.apply.bind(sm);
      sm.apply = (cmds) => {
        for (const cmd of cmds) steps.get(f)!.push(`apply ${cmd.index}`);
        return apply(cmds);
      };
    }
    const first = await leader.propose(set('a', '1'));
    const second = await leader.propose(set('b', '2'));
    await c.waitApplied(second, [leader.id]);
    for (const f of followers) expect(appendsTo(log, leader.id, f)).toEqual(['append', 'append']);
    for (const f of followers) expect(c.replicas.get(f)!.status().applied).toBeLessThan(second);
    // The hold ends: the commit index goes out, and the followers apply.
    endHolds();
    await c.waitApplied(second);
    for (const f of followers) expect(appendsTo(log, leader.id, f)).toEqual(['append', 'append', 'commit']);
    // The second append carried the first entry's commit: the follower started writing the
    // second entry before it applied the first (the write is on the request's path).
    for (const f of followers) expect(steps.get(f)).toEqual([`save ${first}`, `save ${second}`, `apply ${first}`, `apply ${second}`]);
  });

  /** Holds `id`'s writes of entries until the returned function is called. */
  const gateWrites = (c: Cluster, id: number): (() => void) => {
    const storage = c.storages.get(id)!;
    const save = storage.save.bind(storage);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- a save may return a promise (the Storage contract), which the replica awaits
    storage.save = (req) => (req.entries.length > 0 ? gate.then(() => save(req)) : save(req));
    return open;
  };
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
  /** The leader's acknowledgements of its own writes to `to` (see src/raft/leader-ack.ts). */
  const leaderAcksTo = (log: readonly (readonly [number, number, number, number])[], leader: number, to: number): number =>
    log.filter(([from, t, type]) => from === leader && t === to && type === MessageType.MsgAppResp).length;

  test("a follower that forwarded a request commits it from the leader's acknowledgement; the commit index to it is held like the other's", async () => {
    const { c, leader, followers, log, endHolds } = await start();
    const [proposer, other] = followers as [number, number];
    const openOther = gateWrites(c, other); // the commit then needs the proposer's own acknowledgement
    // The proposer applies (and answers) without the hold ending and before the leader's commit.
    const index = await c.replicas.get(proposer)!.propose(set('forwarded', '1'));
    await c.waitApplied(index, [proposer]);
    expect(leaderAcksTo(log, leader.id, proposer)).toBe(1);
    expect(leaderAcksTo(log, leader.id, other)).toBe(0);
    await c.waitApplied(index, [leader.id]);
    await tick();
    // The leader's commit index would tell either follower nothing it waits on: both are held.
    expect(appendsTo(log, leader.id, proposer)).toEqual(['append']);
    expect(appendsTo(log, leader.id, other)).toEqual(['append']);
    endHolds();
    await tick();
    expect(appendsTo(log, leader.id, proposer)).toEqual(['append', 'commit']);
    expect(appendsTo(log, leader.id, other)).toEqual(['append', 'commit']);
    openOther();
    await c.waitApplied(index);
  });

  test("sends the commit index at once to a follower that forwarded a request committed before the leader's write ended, and holds the other", async () => {
    const { c, leader, followers, log, endHolds } = await start();
    const [proposer, other] = followers as [number, number];
    const openLeader = gateWrites(c, leader.id);
    const proposed = c.replicas.get(proposer)!.propose(set('forwarded', '1'));
    // Both followers acknowledge the entry while the leader's own write is held.
    const acked = (f: number): boolean => log.some(([from, to, type]) => from === f && to === leader.id && type === MessageType.MsgAppResp);
    await waitFor(() => acked(proposer) && acked(other), 'both followers to acknowledge the entry');
    openLeader();
    const index = await proposed;
    await c.waitApplied(index, [leader.id, proposer]);
    expect(leaderAcksTo(log, leader.id, proposer)).toBe(0); // the commit index came with the leader's write
    expect(appendsTo(log, leader.id, proposer)).toEqual(['append', 'commit']);
    expect(appendsTo(log, leader.id, other)).toEqual(['append']);
    endHolds();
    await c.waitApplied(index);
    expect(appendsTo(log, leader.id, other)).toEqual(['append', 'commit']);
  });

  test("a follower holds its acknowledgement of the commit of a request it forwarded until its next acknowledgement", async () => {
    const { c, leader, followers, log, endHolds } = await start();
    const [proposer] = followers as [number, number];
    endHolds(); // the warm-up's acknowledgements
    await tick();
    log.length = 0;
    // The leader writes only when let, once the proposer acknowledged the entry: the commit-only
    // append then reaches the proposer after its acknowledgement of the entry.
    const openLeader = gateWrites(c, leader.id);
    const acksBy = (): number => log.filter(([from, to, type]) => from === proposer && to === leader.id && type === MessageType.MsgAppResp).length;
    const proposed = c.replicas.get(proposer)!.propose(set('forwarded', '1'));
    await waitFor(() => acksBy() === 1, "the proposer's acknowledgement of the entry");
    openLeader();
    const index = await proposed;
    await c.waitApplied(index, [leader.id, proposer]);
    expect(appendsTo(log, leader.id, proposer)).toEqual(['append', 'commit']);
    await tick();
    expect(acksBy()).toBe(1); // that of the append; the commit's is held
    // The leader's next request: the proposer's acknowledgement of its append supersedes the held one.
    await c.waitApplied(await leader.propose(set('next', '1')), [leader.id]);
    expect(appendsTo(log, leader.id, proposer)).toEqual(['append', 'commit', 'append']);
    await tick();
    expect(acksBy()).toBe(2);
    // The commit of that request goes out when the leader's hold ends, and its acknowledgement when the proposer's does.
    endHolds();
    await c.waitApplied(index + 1, [proposer]);
    await tick();
    expect(acksBy()).toBe(2);
    endHolds();
    await tick();
    expect(acksBy()).toBe(3);
  });
});
