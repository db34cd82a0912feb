import { describe, expect, test } from 'vitest';
import { createMessage, MessageType } from '../../src/raft/messages.js';
import { StateType } from '../../src/raft/ready.js';
import type { Status } from '../../src/raft/status.js';
import { LaggingVoterRescue, RESCUE_AFTER_REQUESTS, RESCUE_COOLDOWN_ELECTIONS } from '../../src/replica/lagging-voter.js';

const ELECTION_MS = 100;
const COOLDOWN_MS = RESCUE_COOLDOWN_ELECTIONS * ELECTION_MS;

/** Member 2, following leader 4 at term 4 with commit 20, in a configuration of voters 1-4. */
function follower(over: Partial<Status> = {}): Status {
  return {
    id: 2, term: 4, vote: 0, commit: 20, applied: 20, lead: 4, raftState: StateType.Follower, leadTransferee: 0,
    config: { voters: [1, 2, 3, 4], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    ...over,
  };
}

/** Member 1's pre-vote for term 5, its log ending at `index`. */
function preVote(index = 10, over: { from?: number; term?: number; type?: MessageType } = {}) {
  return createMessage({ type: over.type ?? MessageType.MsgPreVote, from: over.from ?? 1, to: 2, term: over.term ?? 5, index, logTerm: 3 });
}

/**
 * Feeds `n` requests one election timeout apart starting at `from` ms; returns the times (ms)
 * at which the rescue said to ask.
 */
function feed(r: LaggingVoterRescue, n: number, from: number, m = preVote(), self = follower()): number[] {
  const asked: number[] = [];
  for (let i = 0; i < n; i++) {
    const now = from + i * ELECTION_MS;
    if (r.onVoteRequest(m, self, now)) asked.push(now);
  }
  return asked;
}

describe('LaggingVoterRescue', () => {
  test('asks once a lagging voter has asked for votes often enough and the leader has led for the cool-down', () => {
    const r = new LaggingVoterRescue(ELECTION_MS);
    // The leader is first seen at 0: nothing before the cool-down, however many requests.
    expect(feed(r, RESCUE_COOLDOWN_ELECTIONS, 0)).toEqual([]);
    expect(feed(r, 1, COOLDOWN_MS)).toEqual([COOLDOWN_MS]);
    // Then not again within the cool-down (the requests still count), and at once after it.
    expect(feed(r, RESCUE_COOLDOWN_ELECTIONS - 1, COOLDOWN_MS + ELECTION_MS)).toEqual([]);
    expect(feed(r, 1, 2 * COOLDOWN_MS)).toEqual([2 * COOLDOWN_MS]);
  });

  test('needs that many requests at one last index: the count restarts when the voter\'s log moves', () => {
    const r = new LaggingVoterRescue(ELECTION_MS);
    feed(r, 1, 0, preVote(9));
    const t = COOLDOWN_MS;
    expect(feed(r, RESCUE_AFTER_REQUESTS - 1, t, preVote(10))).toEqual([]);
    expect(feed(r, RESCUE_AFTER_REQUESTS - 1, t + 1000, preVote(11))).toEqual([]);
    expect(feed(r, 1, t + 2000, preVote(11))).toEqual([t + 2000]);
  });

  test('the follower of higher rank asks one request later, so that one asks first', () => {
    const low = new LaggingVoterRescue(ELECTION_MS);
    const high = new LaggingVoterRescue(ELECTION_MS);
    const three = follower({ id: 3 });
    feed(low, 1, 0);
    feed(high, 1, 0, preVote(), three);
    // Each has seen one request (at 0, index 10); from the cool-down on, one per election timeout.
    expect(feed(low, RESCUE_AFTER_REQUESTS, COOLDOWN_MS)).toEqual([COOLDOWN_MS + (RESCUE_AFTER_REQUESTS - 2) * ELECTION_MS]);
    expect(feed(high, RESCUE_AFTER_REQUESTS, COOLDOWN_MS, preVote(), three)).toEqual([COOLDOWN_MS + (RESCUE_AFTER_REQUESTS - 1) * ELECTION_MS]);
  });

  test('a change of leader restarts both the count and the cool-down', () => {
    const r = new LaggingVoterRescue(ELECTION_MS);
    feed(r, RESCUE_COOLDOWN_ELECTIONS, 0);
    const t = COOLDOWN_MS;
    expect(feed(r, 1, t, preVote(), follower({ lead: 3 }))).toEqual([]);
    expect(feed(r, RESCUE_AFTER_REQUESTS + 2, t + ELECTION_MS, preVote(), follower({ lead: 3 }))).toEqual([]);
    expect(feed(r, RESCUE_AFTER_REQUESTS, t + COOLDOWN_MS, preVote(), follower({ lead: 3 }))).toHaveLength(1);
  });

  test.each([
    ['not a follower', preVote(), follower({ raftState: StateType.Candidate })],
    ['no leader', preVote(), follower({ lead: 0 })],
    ['the request comes from the leader', preVote(10, { from: 4 }), follower()],
    ['the requester is not a voter here', preVote(10, { from: 5 }), follower()],
    ['this member is not a voter', preVote(), follower({ config: { voters: [1, 3, 4], learners: [2], votersOutgoing: [], learnersNext: [], autoLeave: false } })],
    ['the request is for this term, not a later one', preVote(10, { term: 4 }), follower()],
    ['the requester\'s log reaches the commit index', preVote(20), follower()],
    ['the message is not a vote request', preVote(10, { type: MessageType.MsgHeartbeat }), follower()],
  ])('never asks when %s', (_, m, self) => {
    const r = new LaggingVoterRescue(ELECTION_MS);
    expect(feed(r, 3 * RESCUE_COOLDOWN_ELECTIONS, 0, m, self)).toEqual([]);
  });

  test('a real vote request counts as a pre-vote does', () => {
    const r = new LaggingVoterRescue(ELECTION_MS);
    expect(feed(r, RESCUE_COOLDOWN_ELECTIONS + 1, 0, preVote(10, { type: MessageType.MsgVote }))).toEqual([COOLDOWN_MS]);
  });
});
