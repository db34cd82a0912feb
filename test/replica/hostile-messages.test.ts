import { afterEach, describe, expect, test } from 'vitest';
import { encodeMessageFrame } from '../../src/codec/message.js';
import { EntryType } from '../../src/raft/entry.js';
import { MessageRefusedError } from '../../src/raft/errors.js';
import { MessageType, createMessage, type MessageInit } from '../../src/raft/messages.js';
import { MAX_TERM_STEP, TERM_SOFT_LIMIT } from '../../src/raft/peer-message.js';
import type { Replica } from '../../src/replica/replica.js';
import { Cluster, set } from './helpers/cluster.js';
import { electByVotes, ent, flush, newTestNode } from '../helpers/raft-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** The numbers a refused message must leave alone. */
function snapshotState(r: Replica<number>): { term: number; commit: number; leader: number; lifecycle: string } {
  const s = r.status();
  return { term: s.term, commit: s.commit, leader: s.leader, lifecycle: s.lifecycle };
}

async function refusedCount(r: Replica<number>): Promise<number> {
  const m = /raft_messages_refused_total\{code="ERR_MESSAGE_REFUSED"\} (\d+)/.exec(await r.metrics());
  return m === null ? 0 : Number(m[1]);
}

/** Delivers `init` from `from` to `to` as a real frame, and lets the network drain. */
async function inject(c: Cluster, from: number, to: number, init: MessageInit): Promise<void> {
  c.network.injectFrame(from, to, encodeMessageFrame(createMessage({ from, to, ...init })));
  await c.network.idle();
}

describe('peer messages that used to stop a member are refused and counted', () => {
  test.each([
    {
      what: 'a MsgApp whose entries are not contiguous with its index',
      msg: (term: number, commit: number): MessageInit => ({ type: MessageType.MsgApp, term, index: commit, logTerm: term, entries: [ent(term, 1), ent(term, commit + 5)] }),
    },
    {
      what: 'a MsgApp whose entry terms contradict the message',
      msg: (term: number, commit: number): MessageInit => ({ type: MessageType.MsgApp, term, index: commit, logTerm: term, entries: [ent(term + 1, commit + 1)] }),
    },
    {
      what: 'a heartbeat with term 2^53-1',
      msg: (): MessageInit => ({ type: MessageType.MsgHeartbeat, term: Number.MAX_SAFE_INTEGER }),
    },
    {
      what: 'a MsgReadIndex without its context entry',
      msg: (): MessageInit => ({ type: MessageType.MsgReadIndex }),
    },
  ])('$what, on every member', async ({ msg }) => {
    const c = (cluster = await Cluster.create([1, 2, 3]));
    const leader = await c.waitLeader();
    await leader.propose(set('a', '1'));
    for (const r of c.running()) {
      const before = snapshotState(r);
      const sender = r.id === leader.id ? c.running().find((x) => x.id !== r.id)!.id : leader.id;
      await inject(c, sender, r.id, msg(before.term, before.commit));
      expect(await refusedCount(r)).toBe(1);
      expect(snapshotState(r)).toEqual(before);
    }
    const index = await leader.propose(set('b', '2'));
    await c.waitApplied(index);
    expect(new Set(c.running().map((r) => r.status().term)).size).toBe(1);
  });

  test('a MsgAppResp acknowledging beyond the leader log is refused by the leader', async () => {
    const c = (cluster = await Cluster.create([1, 2, 3]));
    const leader = await c.waitLeader();
    await leader.propose(set('a', '1'));
    const follower = c.running().find((r) => r.id !== leader.id)!;
    const before = snapshotState(leader);
    await inject(c, follower.id, leader.id, { type: MessageType.MsgAppResp, term: before.term, index: before.commit + 1000 });
    expect(await refusedCount(leader)).toBe(1);
    expect(snapshotState(leader)).toEqual(before);
    expect(leader.status().progress?.get(follower.id)?.match).toBeLessThanOrEqual(before.commit);
    await c.waitApplied(await leader.propose(set('b', '2')));
  });
});

describe('the core refuses what needs its state, before changing anything', () => {
  test('term-step: any raise up to TERM_SOFT_LIMIT; above it, at most MAX_TERM_STEP per message, and a refused message ratchets the term to that ceiling', () => {
    const n = newTestNode(1);
    const hb = (term: number) => createMessage({ type: MessageType.MsgHeartbeat, from: 2, to: 1, term });
    // A lagging member follows any jump below the soft limit.
    n.node.step(hb(1_000_000_000));
    expect(n.node.status().term).toBe(1_000_000_000);
    // Beyond the ceiling: refused (the sender is not followed), but the term moves to the ceiling.
    expect(() => n.node.step(hb(TERM_SOFT_LIMIT + MAX_TERM_STEP + 1))).toThrow(MessageRefusedError);
    expect(n.node.status().term).toBe(TERM_SOFT_LIMIT + MAX_TERM_STEP);
    expect(n.node.status().lead).toBe(0);
    // The next message of that leader is within one step: followed.
    n.node.step(hb(TERM_SOFT_LIMIT + MAX_TERM_STEP + 1));
    expect(n.node.status().term).toBe(TERM_SOFT_LIMIT + MAX_TERM_STEP + 1);
    expect(n.node.status().lead).toBe(2);
    // Each message raises at most MAX_TERM_STEP: exhausting the term space takes ~2^32 of them.
    expect(() => n.node.step(hb(TERM_SOFT_LIMIT + 5 * MAX_TERM_STEP))).toThrow(MessageRefusedError);
    expect(n.node.status().term).toBe(TERM_SOFT_LIMIT + 2 * MAX_TERM_STEP + 1);
  });

  test('term-step: a member left far below a cluster whose terms jumped past the soft limit catches up (it used to be sidelined for good)', () => {
    const n = newTestNode(1);
    const hb = (term: number) => createMessage({ type: MessageType.MsgHeartbeat, from: 2, to: 1, term });
    n.node.step(hb(4));
    const clusterTerm = TERM_SOFT_LIMIT + MAX_TERM_STEP + 2; // pushed by a hostile peer, then two elections
    expect(() => n.node.step(hb(clusterTerm))).toThrow(MessageRefusedError);
    n.node.step(hb(clusterTerm));
    expect(n.node.status().term).toBe(clusterTerm);
    expect(n.node.status().lead).toBe(2);
  });

  test('ack-beyond-log: the leader keeps the follower progress', () => {
    const n = newTestNode(1, { logTerms: [1, 1] });
    electByVotes(n);
    const match = n.node.status().progress!.get(2)!.match;
    const term = n.node.status().term;
    let err: unknown;
    try {
      n.node.step(createMessage({ type: MessageType.MsgAppResp, from: 2, to: 1, term, index: 100 }));
    } catch (e) {
      err = e;
    }
    expect((err as MessageRefusedError).rule).toBe('ack-beyond-log');
    expect(n.node.status().progress!.get(2)!.match).toBe(match);
    expect(flush(n)).toEqual([]);
  });

  test('append-conflicts-committed: the log is unchanged', () => {
    const n = newTestNode(1, { logTerms: [1, 1, 1], hardState: { term: 2, vote: 0, commit: 3 } });
    flush(n);
    const entries = [{ term: 2, index: 2, type: EntryType.EntryNormal, data: new Uint8Array(0) }];
    expect(() => n.node.step(createMessage({ type: MessageType.MsgApp, from: 2, to: 1, term: 2, index: 3, logTerm: 1, commit: 3, entries }))).toThrow(
      MessageRefusedError,
    );
    expect(n.storage.lastIndex()).toBe(3);
  });
});
