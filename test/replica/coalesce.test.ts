/**
 * Coalescing a Ready's messages: the appends a leader sends one per proposal reach each
 * follower as one `MsgApp` (and come back as one acknowledgement), with exactly the entries
 * and commit index the separate messages carried; everything else goes out untouched.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { createMessage, MessageType, type Message } from '../../src/raft/messages.js';
import { coalesceMessages } from '../../src/replica/coalesce.js';
import { Cluster, set } from './helpers/cluster.js';

const entry = (index: number, term = 2, size = 4): Entry => ({ index, term, type: EntryType.EntryNormal, data: new Uint8Array(size) });
/** A leader's append to `to` of the entries after `index` (up to `last`), as the node builds one per proposal. */
const app = (to: number, index: number, last: number, commit: number, term = 2): Message =>
  createMessage({ type: MessageType.MsgApp, from: 1, to, term, logTerm: index === 0 ? 0 : term, index, commit, entries: Array.from({ length: last - index }, (_, i) => entry(index + i + 1, term)) });
const ack = (index: number, reject = false): Message => createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term: 2, index, reject, rejectHint: reject ? index : 0 });
const indexes = (m: Message): number[] => m.entries.map((e) => e.index);

describe('coalesceMessages', () => {
  test("a run of appends to each peer becomes one per peer, with every entry and the last commit; peers' order kept", () => {
    const input = [app(2, 10, 11, 9), app(3, 10, 11, 9), app(2, 11, 12, 9), app(3, 11, 12, 10), app(2, 12, 13, 10)];
    const copy = structuredClone(input);
    const out = coalesceMessages(input, 1 << 20);
    expect(out.map((m) => [m.to, m.index, m.logTerm, indexes(m), m.commit])).toEqual([
      [2, 10, 2, [11, 12, 13], 10],
      [3, 10, 2, [11, 12], 10],
    ]);
    expect(input).toEqual(copy); // the node's messages are not modified
  });

  test('a commit-only append merges either side of a run of entries', () => {
    const out = coalesceMessages([app(2, 10, 10, 9), app(2, 10, 12, 9), app(2, 12, 12, 12)], 1 << 20);
    expect(out.map((m) => [m.index, indexes(m), m.commit])).toEqual([[10, [11, 12], 12]]);
  });

  test('appends that do not continue each other, or are split by another message to the peer, stay apart', () => {
    const gap = [app(2, 10, 11, 9), app(2, 12, 13, 9)];
    expect(coalesceMessages(gap, 1 << 20)).toBe(gap); // nothing merged: the same array
    const otherTerm = [app(2, 10, 11, 9), { ...app(2, 11, 12, 9), logTerm: 1 }];
    expect(coalesceMessages(otherTerm, 1 << 20)).toBe(otherTerm);
    const newerTerm = [app(2, 10, 11, 9), app(2, 11, 12, 9, 3)];
    expect(coalesceMessages(newerTerm, 1 << 20)).toBe(newerTerm);
    const heartbeat = createMessage({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 2, commit: 9 });
    const split = [app(2, 10, 11, 9), heartbeat, app(2, 11, 12, 9)];
    expect(coalesceMessages(split, 1 << 20)).toBe(split);
    const withContext = [app(2, 10, 11, 9), { ...app(2, 11, 12, 9), context: new Uint8Array([1]) }];
    expect(coalesceMessages(withContext, 1 << 20)).toBe(withContext);
  });

  test('merged entries stay within maxSizePerMsg (counted as the node counts them); an append already over it stays alone', () => {
    // Each entry counts 4 + 16 bytes: a bound of 60 holds three.
    const five = [11, 12, 13, 14, 15].map((i) => app(2, i - 1, i, 9));
    expect(coalesceMessages(five, 60).map(indexes)).toEqual([[11, 12, 13], [14, 15]]);
    const big = { ...app(2, 10, 11, 9), entries: [entry(11, 2, 100)] };
    expect(coalesceMessages([big, app(2, 11, 12, 9)], 60).map(indexes)).toEqual([[11], [12]]);
    expect(coalesceMessages([big, app(2, 11, 11, 11)], 60).map((m) => [indexes(m), m.commit])).toEqual([[[11], 11]]);
  });

  test('acknowledgements: the furthest of a run is sent; rejections and a lower index are kept', () => {
    expect(coalesceMessages([ack(11), ack(12), ack(14)], 1 << 20)).toEqual([ack(14)]);
    const rejected = [ack(11), ack(9, true)];
    expect(coalesceMessages(rejected, 1 << 20)).toBe(rejected);
    const lower = [ack(12), ack(11)];
    expect(coalesceMessages(lower, 1 << 20)).toBe(lower);
  });
});

describe('coalesceMessages: forwarded proposals', () => {
  const prop = (...entries: Entry[]): Message => createMessage({ type: MessageType.MsgProp, from: 2, to: 1, entries });
  const normal = (n: number, size = 4): Entry => ({ index: 0, term: 0, type: EntryType.EntryNormal, data: new Uint8Array(size).fill(n) });
  const cc: Entry = { index: 0, term: 0, type: EntryType.EntryConfChangeV2, data: new Uint8Array(4) };
  const firstBytes = (m: Message): number[] => m.entries.map((e) => e.data[0]!);

  test("a follower's proposals to the leader go as one MsgProp, within maxSizePerMsg; conf changes stay alone", () => {
    expect(coalesceMessages([prop(normal(1)), prop(normal(2), normal(3)), prop(normal(4))], 1 << 20).map(firstBytes)).toEqual([[1, 2, 3, 4]]);
    expect(coalesceMessages([1, 2, 3, 4].map((n) => prop(normal(n))), 40).map(firstBytes)).toEqual([[1, 2], [3, 4]]);
    const withCc = [prop(normal(1)), prop(cc), prop(normal(2))];
    expect(coalesceMessages(withCc, 1 << 20)).toBe(withCc);
  });
});

// Heartbeats every 250 ms: the counts below are of the burst's messages, however slow the machine.
describe('coalescing in a running cluster', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  test('a burst of proposals reaches the followers in far fewer messages than entries, and every member applies all of it', async () => {
    const c = (cluster = await Cluster.create([1, 2, 3], { electionTick: 50, heartbeatTick: 25 }));
    const leader = await c.waitLeader();
    await leader.propose(set('warm', 'up')); // followers are replicating (not probing) from here
    const before = c.network.stats().transmitted;
    const burst = Array.from({ length: 100 }, (_, i) => leader.propose(set(`k${i}`, `v${i}`)));
    const indexes = await Promise.all(burst);
    await c.waitApplied(Math.max(...indexes));
    // Without coalescing (measured): 802, 100 appends and 100 acknowledgements per follower and more.
    expect(c.network.stats().transmitted - before).toBeLessThan(50);
    for (const id of [1, 2, 3]) {
      const data = c.machines.get(id)!.data;
      for (let i = 0; i < 100; i++) expect(data.get(`k${i}`)).toBe(`v${i}`);
    }
  });

  test("a burst of proposals on a follower is forwarded in far fewer messages than proposals, and each proposer's request resolves", async () => {
    const c = (cluster = await Cluster.create([1, 2, 3], { electionTick: 50, heartbeatTick: 25 }));
    const leader = await c.waitLeader();
    const follower = c.running().find((r) => r.id !== leader.id)!;
    await follower.propose(set('warm', 'up'));
    const before = c.network.stats().transmitted;
    const indexes = await Promise.all(Array.from({ length: 100 }, (_, i) => follower.propose(set(`f${i}`, `v${i}`))));
    await c.waitApplied(Math.max(...indexes));
    // Without coalescing (measured): 107, the 100 forwarded proposals among them; with it about 10.
    expect(c.network.stats().transmitted - before).toBeLessThan(50);
    expect(new Set(indexes).size).toBe(100);
    for (const id of [1, 2, 3]) for (let i = 0; i < 100; i++) expect(c.machines.get(id)!.data.get(`f${i}`)).toBe(`v${i}`);
  });
});
