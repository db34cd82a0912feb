/**
 * When a follower sends its acknowledgements: those of entries at once; those of an append
 * that only carried a commit index it now knows (its leader had a quorum without them, and knows
 * its log), with its next message to the leader, ahead of it, or when the hold ends
 * (`COMMIT_HOLD_MS`): after the apply of a request it forwarded, and its answer.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { MessageType } from '../../src/raft/messages.js';
import type { Replica } from '../../src/replica/replica.js';
import { Cluster, clusterWatchingSends, heldClock, set, waitFor } from './helpers/cluster.js';

describe('a follower in a running cluster', () => {
  let cluster: Cluster | undefined;
  let release: (() => void) | undefined;
  afterEach(async () => {
    release?.();
    release = undefined;
    await cluster?.close();
    cluster = undefined;
  });

  /**
   * A warmed-up cluster whose sends are logged as [from, to, type] from here on, and a follower
   * whose log writes of entries wait, once `gate.armed`, until the test calls `gate.open`.
   */
  async function start(): Promise<{ c: Cluster; leader: Replica<number>; follower: number; log: ([number, number, number, number] | string)[]; gate: { armed: boolean; waiting: number; open: () => void } }> {
    const log: ([number, number, number, number] | string)[] = [];
    const c = (cluster = await clusterWatchingSends((_, ms) => {
      for (const m of ms) log.push([m.from, m.to, m.type, m.index]);
    }));
    const leader = await c.waitLeader();
    await c.waitApplied(await leader.propose(set('warm', 'up')));
    const follower = [...c.replicas.keys()].find((id) => id !== leader.id)!;
    const storage = c.storages.get(follower)!;
    const save = storage.save.bind(storage);
    const held: (() => void)[] = [];
    const gate = {
      armed: false,
      waiting: 0,
      open: (): void => {
        gate.armed = false;
        for (const go of held.splice(0)) go();
      },
    };
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Storage.save may return a promise (the Ready loop awaits it)
    storage.save = (req) => {
      if (!gate.armed || req.entries.length === 0) return save(req);
      gate.waiting++;
      return new Promise<void>((resolve) => held.push(resolve)).then(() => save(req));
    };
    release = gate.open;
    log.length = 0;
    return { c, leader, follower, log, gate };
  }

  /** The follower's acknowledgements of entries after `after` ('ack') and its answer ('answered'), in the order they happened. */
  const acksAndAnswer = (log: readonly ([number, number, number, number] | string)[], follower: number, after: number): string[] =>
    log.filter((x) => x === 'answered' || (typeof x !== 'string' && x[0] === follower && x[2] === MessageType.MsgAppResp && x[3] > after)).map((x) => (x === 'answered' ? x : 'ack'));

  test('acknowledges its write of entries at once, even when it already knows them committed: the leader learns its log from it', async () => {
    const { c, leader, follower, log, gate } = await start();
    const before = leader.status().applied;
    gate.armed = true;
    const answered = c.replicas.get(follower)!.propose(set('forwarded', '1')).then((index) => {
      log.push('answered');
      return index;
    });
    // The leader commits the entry with the other follower's acknowledgement and tells this
    // follower, whose own write of it is still waiting.
    await waitFor(() => gate.waiting === 1 && leader.status().applied > before, 'the leader commits while the follower writes');
    await waitFor(() => c.replicas.get(follower)!.status().commit > before, 'the follower learns the commit');
    expect(acksAndAnswer(log, follower, before)).toEqual([]);
    gate.open();
    const index = await answered;
    await c.waitApplied(index);
    expect(acksAndAnswer(log, follower, before)[0]).toBe('ack');
    await waitFor(() => leader.status().progress?.get(follower)?.match === index, "the leader's view of the follower's log");
  });

  test('that forwarded a request answers it before it acknowledges the append that told it the commit', async () => {
    const { c, leader, follower, log } = await start();
    const before = leader.status().applied;
    const index = await c.replicas.get(follower)!.propose(set('forwarded', '1')).then((i) => {
      log.push('answered');
      return i;
    });
    await c.waitApplied(index);
    await waitFor(() => acksAndAnswer(log, follower, before).filter((x) => x === 'ack').length === 2, 'both acknowledgements');
    // The acknowledgement of its write of the entry (which could commit it), the answer, then
    // the acknowledgement of the commit-only append.
    expect(acksAndAnswer(log, follower, before)).toEqual(['ack', 'answered', 'ack']);
  });

  test('whose acknowledgement the leader still needs sends it at once, before it answers', async () => {
    const { c, leader, follower, log } = await start();
    const before = leader.status().applied;
    // Only this follower can make a quorum with the leader: the other is stopped.
    const other = [...c.replicas.keys()].find((id) => id !== leader.id && id !== follower)!;
    await c.stop(other);
    const index = await c.replicas.get(follower)!.propose(set('forwarded', '1')).then((i) => {
      log.push('answered');
      return i;
    });
    await c.waitApplied(index, [leader.id, follower]);
    expect(acksAndAnswer(log, follower, before)[0]).toBe('ack');
  });

  test('holds the acknowledgement of the append that told it the commit until its next message to the leader, and sends it ahead of that, or until the hold ends', async () => {
    // Sends as [from, to, type, index], one array per transport send.
    const sends: [number, number, number, number][][] = [];
    const ends: (() => void)[] = [];
    const gate = { paused: false };
    const c = (cluster = await clusterWatchingSends((_, ms) => {
      sends.push(ms.map((m) => [m.from, m.to, m.type, m.index]));
    }, { tickMs: 20, electionTick: 50, heartbeatTick: 25, clock: heldClock(ends, gate) }));
    const endHolds = (): void => {
      for (const end of ends.splice(0)) end();
    };
    const leader = await c.waitLeader();
    await c.waitApplied(await leader.propose(set('warm', 'up')), [leader.id]);
    endHolds();
    await c.waitApplied(leader.status().applied);
    endHolds();
    gate.paused = true; // no heartbeats from here on: they would carry messages both ways
    const proposer = [...c.replicas.keys()].find((id) => id !== leader.id)!;
    const acks = (): number[] => sends.flat().filter(([from, to, type]) => from === proposer && to === leader.id && type === MessageType.MsgAppResp).map(([, , , index]) => index);
    sends.length = 0;
    const first = await c.replicas.get(proposer)!.propose(set('forwarded', '1'));
    await c.waitApplied(first, [leader.id, proposer]);
    // The acknowledgement of its write of the entry; the one of the commit-only append waits.
    expect(acks()).toEqual([first]);
    // The next append from the leader: its acknowledgement goes at once, the held one ahead of it.
    sends.length = 0;
    const second = await leader.propose(set('own', '2'));
    await waitFor(() => acks().includes(second), 'the acknowledgement of the next entry');
    expect(acks()).toEqual([first, second]);
    // A held acknowledgement goes when the hold ends.
    await c.waitApplied(second, [leader.id]);
    sends.length = 0;
    const third = await c.replicas.get(proposer)!.propose(set('forwarded', '3'));
    await c.waitApplied(third, [leader.id, proposer]);
    expect(acks()).toEqual([third]);
    endHolds();
    await waitFor(() => acks().length === 2, 'the held acknowledgement');
    expect(acks()).toEqual([third, third]);
  });
});
