import { describe, expect, test } from 'vitest';
import { EMPTY_BYTES, EntryType, emptyConfState, type ConfState, type Entry } from '../../src/raft/entry.js';
import { MessageRefusedError } from '../../src/raft/errors.js';
import { MessageType, createMessage, type Message, type MessageInit } from '../../src/raft/messages.js';
import { MAX_INDEX, MAX_TERM, PEER_MESSAGE_RULES, checkPeerMessage, type PeerMessageRule } from '../../src/raft/peer-message.js';

const SELF = 1;
const PEER = 2;

function ent(term: number, index: number, data: Uint8Array = EMPTY_BYTES): Entry {
  return { term, index, type: EntryType.EntryNormal, data };
}

function msg(init: MessageInit): Message {
  return createMessage({ to: SELF, from: PEER, ...init });
}

function cs(over: Partial<ConfState>): ConfState {
  return { ...emptyConfState(), voters: [1, 2, 3], ...over };
}

function snap(index: number, term: number, confState: ConfState = cs({})): Message['snapshot'] {
  return { data: EMPTY_BYTES, metadata: { index, term, confState } };
}

const app = (over: Partial<MessageInit> = {}): Message =>
  msg({ type: MessageType.MsgApp, term: 3, index: 5, logTerm: 2, commit: 5, entries: [ent(2, 6), ent(3, 7)], ...over });

/** Messages a correct peer sends: none may be refused. */
const valid: Message[] = [
  app(),
  app({ entries: [] }),
  msg({ type: MessageType.MsgAppResp, term: 3, index: 7 }),
  msg({ type: MessageType.MsgAppResp, term: 3, index: 7, reject: true, rejectHint: 4, logTerm: 2 }),
  msg({ type: MessageType.MsgHeartbeat, term: 3, commit: 9 }),
  msg({ type: MessageType.MsgHeartbeatResp, term: 3 }),
  msg({ type: MessageType.MsgVote, term: 4, index: 7, logTerm: 3 }),
  msg({ type: MessageType.MsgPreVote, term: 4, index: 7, logTerm: 3 }),
  msg({ type: MessageType.MsgVoteResp, term: 4 }),
  msg({ type: MessageType.MsgProp, entries: [ent(0, 0, new Uint8Array(10))] }),
  msg({ type: MessageType.MsgReadIndex, entries: [ent(0, 0, new Uint8Array(8))] }),
  msg({ type: MessageType.MsgReadIndexResp, term: 3, index: 7, entries: [ent(0, 0, new Uint8Array(8))] }),
  msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 3) }),
  msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 2, cs({ voters: [1, 2], votersOutgoing: [1, 2, 3], learnersNext: [3] })) }),
  msg({ type: MessageType.MsgTimeoutNow, term: 3 }),
  msg({ type: MessageType.MsgTransferLeader, term: 3 }),
  msg({ type: MessageType.MsgForgetLeader, term: 3 }),
  msg({ type: MessageType.MsgApp, term: MAX_TERM, index: MAX_INDEX - 1, logTerm: 1, entries: [ent(MAX_TERM, MAX_INDEX)] }),
];

/** One or more violations of each rule checked at the door. */
const invalid: { rule: PeerMessageRule; what: string; m: Message }[] = [
  { rule: 'wire-type', what: 'a local MsgHup', m: msg({ type: MessageType.MsgHup, term: 3 }) },
  { rule: 'wire-type', what: 'a local MsgSnapStatus', m: msg({ type: MessageType.MsgSnapStatus, term: 3 }) },
  { rule: 'wire-type', what: 'an unknown type', m: { ...msg({ type: MessageType.MsgApp, term: 3 }), type: 99 as MessageType } },
  { rule: 'addressing', what: 'another recipient', m: msg({ type: MessageType.MsgHeartbeat, term: 3, to: 3 }) },
  { rule: 'addressing', what: 'from itself', m: msg({ type: MessageType.MsgHeartbeat, term: 3, from: SELF }) },
  { rule: 'addressing', what: 'from node 0', m: msg({ type: MessageType.MsgHeartbeat, term: 3, from: 0 }) },
  { rule: 'bounds', what: 'a heartbeat at term 2^53-1', m: msg({ type: MessageType.MsgHeartbeat, term: Number.MAX_SAFE_INTEGER }) },
  { rule: 'bounds', what: 'a term one above the bound', m: msg({ type: MessageType.MsgVote, term: MAX_TERM + 1 }) },
  { rule: 'bounds', what: 'an entry term above the bound', m: app({ term: MAX_TERM, entries: [ent(MAX_TERM + 1, 6)] }) },
  { rule: 'bounds', what: 'a commit above the bound', m: msg({ type: MessageType.MsgHeartbeat, term: 3, commit: MAX_INDEX + 1 }) },
  { rule: 'bounds', what: 'a rejectHint above the bound', m: msg({ type: MessageType.MsgAppResp, term: 3, rejectHint: MAX_INDEX + 1 }) },
  { rule: 'bounds', what: 'entries ending beyond the bound', m: app({ index: MAX_INDEX - 1, entries: [ent(2, MAX_INDEX), ent(2, MAX_INDEX + 1)] }) },
  { rule: 'bounds', what: 'a snapshot index above the bound', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(MAX_INDEX + 1, 3) }) },
  { rule: 'term-set', what: 'a MsgApp without a term', m: app({ term: 0, logTerm: 0, entries: [] }) },
  { rule: 'term-set', what: 'a heartbeat without a term', m: msg({ type: MessageType.MsgHeartbeat }) },
  { rule: 'term-set', what: 'a MsgProp with a term', m: msg({ type: MessageType.MsgProp, term: 5, entries: [ent(0, 0)] }) },
  { rule: 'entries-allowed', what: 'a heartbeat with entries', m: msg({ type: MessageType.MsgHeartbeat, term: 3, entries: [ent(3, 1)] }) },
  { rule: 'entries-allowed', what: 'a vote with entries', m: msg({ type: MessageType.MsgVote, term: 3, entries: [ent(3, 1)] }) },
  { rule: 'snapshot-allowed', what: 'a MsgSnap without a snapshot', m: msg({ type: MessageType.MsgSnap, term: 3 }) },
  { rule: 'snapshot-allowed', what: 'a MsgApp with a snapshot', m: app({ snapshot: snap(10, 3) }) },
  { rule: 'append-contiguous', what: 'a gap after index', m: app({ entries: [ent(2, 7)] }) },
  { rule: 'append-contiguous', what: 'a gap between entries', m: app({ entries: [ent(2, 6), ent(3, 8)] }) },
  { rule: 'append-contiguous', what: 'entries rewinding below index', m: app({ entries: [ent(2, 6), ent(3, 2)] }) },
  { rule: 'append-terms', what: 'logTerm above the term', m: app({ logTerm: 4, entries: [] }) },
  { rule: 'append-terms', what: 'an entry term below logTerm', m: app({ entries: [ent(1, 6)] }) },
  { rule: 'append-terms', what: 'decreasing entry terms', m: app({ entries: [ent(3, 6), ent(2, 7)] }) },
  { rule: 'append-terms', what: "an entry term above the message's", m: app({ entries: [ent(4, 6)] }) },
  { rule: 'proposal-entries', what: 'an empty proposal', m: msg({ type: MessageType.MsgProp }) },
  { rule: 'proposal-entries', what: 'a proposal with an index', m: msg({ type: MessageType.MsgProp, entries: [ent(0, 9)] }) },
  { rule: 'proposal-entries', what: 'a proposal over the size limit', m: msg({ type: MessageType.MsgProp, entries: [ent(0, 0, new Uint8Array(101))] }) },
  { rule: 'read-index-entries', what: 'a MsgReadIndex without its context entry', m: msg({ type: MessageType.MsgReadIndex }) },
  { rule: 'read-index-entries', what: 'a MsgReadIndexResp with two entries', m: msg({ type: MessageType.MsgReadIndexResp, term: 3, entries: [ent(0, 0), ent(0, 0)] }) },
  { rule: 'vote-log', what: "a candidate's last log term above its term", m: msg({ type: MessageType.MsgVote, term: 3, logTerm: 4 }) },
  { rule: 'vote-log', what: "a pre-candidate's last log term above its term", m: msg({ type: MessageType.MsgPreVote, term: 3, logTerm: 9 }) },
  { rule: 'reject-hint', what: 'a hint above the rejected index', m: msg({ type: MessageType.MsgAppResp, term: 3, index: 4, reject: true, rejectHint: 5 }) },
  { rule: 'snapshot-metadata', what: 'a snapshot at index 0', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(0, 3) }) },
  { rule: 'snapshot-metadata', what: 'a snapshot term above the message term', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 4) }) },
  { rule: 'snapshot-metadata', what: 'no voters', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 3, cs({ voters: [], learners: [1] })) }) },
  { rule: 'snapshot-metadata', what: 'a voter listed twice', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 3, cs({ voters: [1, 1, 2] })) }) },
  { rule: 'snapshot-metadata', what: 'a voter that is also a learner', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 3, cs({ learners: [2] })) }) },
  { rule: 'snapshot-metadata', what: 'learnersNext outside a joint config', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 3, cs({ learnersNext: [4] })) }) },
  { rule: 'snapshot-metadata', what: 'member id 0', m: msg({ type: MessageType.MsgSnap, term: 3, snapshot: snap(10, 3, cs({ voters: [0, 1] })) }) },
];

describe('checkPeerMessage: the door of the Raft core', () => {
  test.each(valid.map((m) => ({ m })))('accepts a valid $m.type', ({ m }) => {
    expect(() => checkPeerMessage(m, SELF, { maxProposalBytes: 100 })).not.toThrow();
  });

  test.each(invalid)('refuses $what (rule $rule)', ({ rule, m }) => {
    let err: unknown;
    try {
      checkPeerMessage(m, SELF, { maxProposalBytes: 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MessageRefusedError);
    expect((err as MessageRefusedError).code).toBe('ERR_MESSAGE_REFUSED');
    expect((err as MessageRefusedError).rule).toBe(rule);
  });

  test('every door rule has a test, and every rule is documented', () => {
    const coreRules: PeerMessageRule[] = ['append-conflicts-committed', 'ack-beyond-log', 'term-step'];
    const tested = new Set(invalid.map((c) => c.rule));
    for (const rule of Object.keys(PEER_MESSAGE_RULES) as PeerMessageRule[]) {
      expect(PEER_MESSAGE_RULES[rule].length).toBeGreaterThan(10);
      if (!coreRules.includes(rule)) expect(tested.has(rule), rule).toBe(true);
    }
  });
});
