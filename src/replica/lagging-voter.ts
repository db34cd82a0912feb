import { MessageType, type Message } from '../raft/messages.js';
import { StateType } from '../raft/ready.js';
import type { Status } from '../raft/status.js';

/** How many vote requests from one voter, at one last index, a follower sees before it acts (the first follower to act; see {@link LaggingVoterRescue}). */
export const RESCUE_AFTER_REQUESTS = 3;

/** In election timeouts: how long a follower notes vote requests under one leader before it may ask, and how long after asking before it may ask again. */
export const RESCUE_COOLDOWN_ELECTIONS = 10;

/**
 * Notices a voter that cannot follow the leader, and says when this member should ask the leader
 * to hand leadership over to it.
 *
 * A member's transport admits only the members of its applied configuration. So a voter that
 * missed the change adding a member (it was down, or lost the entry's unsynced write in a crash)
 * refuses that member's messages, and while that member leads it can neither hear from the leader
 * nor win an election (its log is behind): it pre-campaigns every election timeout, and the
 * followers of the active leader ignore it. A follower it does reach can bring it back: once
 * leader, that follower sends it the entries it missed, the configuration change among them.
 *
 * A follower asks (with the Raft message a leadership transfer starts with, which every version
 * of the leader handles) when all of these hold:
 * - it follows a leader under which it noted a first vote request at least
 *   {@link RESCUE_COOLDOWN_ELECTIONS} election timeouts ago, and it has not asked within as long;
 * - a voter of its configuration, not the leader, has asked it for a vote for a later term
 *   {@link RESCUE_AFTER_REQUESTS} times (plus this member's rank among the followers that could
 *   ask, by id, so that one asks first) with the same last log index, below this member's commit
 *   index: it misses committed entries, and is not getting them.
 *
 * The same rule brings back a voter that a partition cuts off from the leader alone. A
 * leadership transfer is always safe; what the rule bounds is how often leadership can move.
 */
export class LaggingVoterRescue {
  readonly #cooldownMs: number;
  /** Per voter asking for votes: its last log index then, and how many requests at that index. */
  readonly #asking = new Map<number, { index: number; count: number }>();
  #leader = 0;
  #leaderSince = 0;
  #askedAt = Number.NEGATIVE_INFINITY;

  /** @param electionTimeoutMs - the election timeout (election ticks × tick length). */
  constructor(electionTimeoutMs: number) {
    this.#cooldownMs = RESCUE_COOLDOWN_ELECTIONS * electionTimeoutMs;
  }

  /**
   * Notes a vote request that passed the door, with this member's state after stepping it, and
   * returns whether to ask the leader for leadership now (`RaftNode.transferLeader(self.id)`).
   */
  onVoteRequest(m: Message, self: Status, now: number): boolean {
    if (m.type !== MessageType.MsgPreVote && m.type !== MessageType.MsgVote) return false;
    if (self.lead !== this.#leader) {
      this.#leader = self.lead;
      this.#leaderSince = now;
      this.#asking.clear();
    }
    const voters = self.config.voters;
    if (self.raftState !== StateType.Follower || self.lead === 0 || m.from === self.lead) return false;
    if (!voters.includes(self.id) || !voters.includes(m.from) || m.term <= self.term || m.index >= self.commit) {
      this.#asking.delete(m.from);
      return false;
    }
    const seen = this.#asking.get(m.from);
    const count = seen !== undefined && seen.index === m.index ? seen.count + 1 : 1;
    this.#asking.set(m.from, { index: m.index, count });
    const rank = voters.filter((id) => id !== self.lead && id !== m.from && id < self.id).length;
    if (count < RESCUE_AFTER_REQUESTS + rank) return false;
    if (now - this.#leaderSince < this.#cooldownMs || now - this.#askedAt < this.#cooldownMs) return false;
    this.#askedAt = now;
    this.#asking.delete(m.from);
    return true;
  }
}
