/**
 * The order in which a leader writes a Ready's messages to its peers: the follower whose
 * forwarded request the Ready appends (or commits) is written to first, since it answers its
 * client only once the entry is durable in its own log and it has learnt the commit.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { createMessage, MessageType, type Message } from '../../src/raft/messages.js';
import { encodeEnvelope, proposerOf } from '../../src/replica/envelope.js';
import { onlyProposedBy, peerFirst, waitingPeer } from '../../src/replica/send-order.js';
import { Cluster, clusterWatchingSends, set } from './helpers/cluster.js';

const app = (to: number, index: number): Message =>
  createMessage({ type: MessageType.MsgApp, from: 1, to, term: 2, logTerm: 2, index, commit: index });
const entry = (index: number, proposer: number, type: EntryType = EntryType.EntryNormal): Entry =>
  ({ index, term: 2, type, data: encodeEnvelope({ proposer, incarnation: 7, seq: index }, set('k', 'v')) });
const order = (ms: readonly Message[]): [number, number][] => ms.map((m) => [m.to, m.index]);

describe('peerFirst', () => {
  test.each([
    { name: 'the peer is already first', peer: 2, input: [app(2, 1), app(3, 1)], want: [[2, 1], [3, 1]], same: true },
    { name: 'no peer waits', peer: 0, input: [app(2, 1), app(3, 1)], want: [[2, 1], [3, 1]], same: true },
    { name: 'no message goes to the peer', peer: 4, input: [app(2, 1), app(3, 1)], want: [[2, 1], [3, 1]], same: true },
    { name: 'one message', peer: 3, input: [app(2, 1)], want: [[2, 1]], same: true },
    { name: "the peer's messages move ahead, in their order", peer: 3, input: [app(2, 1), app(3, 1), app(2, 2), app(3, 2)], want: [[3, 1], [3, 2], [2, 1], [2, 2]], same: false },
  ])('$name', ({ peer, input, want, same }) => {
    const copy = structuredClone(input);
    const out = peerFirst(input, peer);
    expect(order(out)).toEqual(want);
    expect(out === input).toBe(same);
    expect(input).toEqual(copy); // the node's array is not reordered in place
  });
});

describe('waitingPeer', () => {
  test("the proposer of the last new entry, else of the last committed one; 0 for conf changes and foreign bytes", () => {
    expect(proposerOf(entry(1, 3).data)).toBe(3);
    expect(waitingPeer([entry(5, 2), entry(6, 3)], [entry(4, 2)])).toBe(3);
    expect(waitingPeer([], [entry(3, 2), entry(4, 3)])).toBe(3);
    expect(waitingPeer([], [])).toBe(0);
    expect(waitingPeer([entry(5, 2, EntryType.EntryConfChange)], [])).toBe(0);
    expect(waitingPeer([{ index: 5, term: 2, type: EntryType.EntryNormal, data: new Uint8Array(0) }], [])).toBe(0);
    expect(waitingPeer([{ index: 5, term: 2, type: EntryType.EntryNormal, data: set('not', 'an envelope') }], [])).toBe(0);
  });

  test('onlyProposedBy: every normal entry is the proposer\'s (conf changes skipped)', () => {
    expect(onlyProposedBy([entry(1, 2), entry(2, 2, EntryType.EntryConfChange), entry(3, 2)], 2)).toBe(true);
    expect(onlyProposedBy([entry(1, 3), entry(2, 2)], 2)).toBe(false);
    expect(onlyProposedBy([{ index: 5, term: 2, type: EntryType.EntryNormal, data: new Uint8Array(0) }], 2)).toBe(false);
  });
});

describe('a leader in a running cluster', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  /** A cluster whose members' sends are logged as [from, to, type, entries]. */
  const logged = (log: ([number, number, number, number] | string)[]): Promise<Cluster> =>
    clusterWatchingSends((_, messages) => {
      for (const m of messages) log.push([m.from, m.to, m.type, m.entries.length]);
    });

  test("answers its own proposal before it sends the followers the commit index", async () => {
    const log: ([number, number, number, number] | string)[] = [];
    const c = (cluster = await logged(log));
    const leader = await c.waitLeader();
    await c.waitApplied(await leader.propose(set('warm', 'up')));
    log.length = 0;
    const index = await leader.propose(set('own', '1')).then((i) => {
      log.push('answered');
      return i;
    });
    await c.waitApplied(index);
    const fromLeader = log.filter((x) => x === 'answered' || (x[0] === leader.id && x[2] === MessageType.MsgApp));
    // The appends with the entry, the answer, then the commit index (the appends without entries).
    expect(fromLeader.map((x) => (typeof x === 'string' ? x : x[3] > 0 ? 'append' : 'commit')).slice(0, 5)).toEqual(['append', 'append', 'answered', 'commit', 'commit']);
  });

  test("writes a follower's forwarded proposal, and then news of its commit, to that follower before the other", async () => {
    // Every member's sends, as its transport is handed them: [from, to, type, entries].
    const sent: [number, number, number, number][] = [];
    const c = (cluster = await logged(sent));
    const leader = await c.waitLeader();
    // The node's own order: the appends of the leader's own proposal.
    sent.length = 0;
    await c.waitApplied(await leader.propose(set('own', '1')));
    const appends = sent.filter(([from, , type, n]) => from === leader.id && type === MessageType.MsgApp && n > 0).map(([, to]) => to);
    expect(appends).toHaveLength(2);
    const last = appends[1]!; // the follower the node writes to second
    // Its forwarded proposal: the append that carries it, and then what tells it of the commit
    // (the leader's acknowledgement of its own write, or the commit index), go to it first.
    sent.length = 0;
    await c.waitApplied(await c.replicas.get(last)!.propose(set('forwarded', '1')));
    const fromLeader = sent.filter(([from, , type]) => from === leader.id && type === MessageType.MsgApp);
    expect(fromLeader.filter(([, , , n]) => n > 0).map(([, to]) => to)).toEqual([last, appends[0]]);
    const commitNews = sent.filter(([from, , type, n]) => from === leader.id && ((type === MessageType.MsgApp && n === 0) || type === MessageType.MsgAppResp));
    expect(commitNews[0]?.[1]).toBe(last);
  });
});
