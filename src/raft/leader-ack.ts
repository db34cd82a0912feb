import { EntryType, type Entry } from './entry.js';
import { MessageType, createMessage, type Message } from './messages.js';
import type { Raft } from './raft.js';
import { StateType } from './ready.js';

/*
 * The leader's acknowledgement: a follower that forwarded a proposal learns that it is
 * committed from the leader's own durable copy, without waiting for the leader to hear a
 * quorum and tell it.
 *
 * With two or three voters, the leader and one follower are a majority. An entry of the
 * current term that both hold durably is committed (§5.4.2), whoever observes it: every later
 * leader holds it. The leader observes it when the follower's acknowledgement arrives and
 * then tells the follower the new commit index, two hops after the follower's write. The
 * follower can observe it itself once its own write is durable, if the leader tells it when
 * the leader's write is: the leader starts its write before its appends leave, so its
 * acknowledgement is usually waiting when the follower's write completes.
 *
 * So once its own write is durable, a leader sends a `MsgAppResp` of its own (the same
 * statement a follower's acknowledgement makes: "I hold your log durably up to `index` in
 * this term") to each follower whose forwarded entries that write covered and that the
 * commit index does not cover yet. A follower takes such an acknowledgement only from the
 * leader of its term, and commits `k = min(leader's index, its own durable last index)` when
 * entry `k` is of the current term (so it came from this leader, and the two logs agree up to
 * it) and its own configuration makes the pair a majority:
 * - the configuration is not joint, has at most three voters, and both are voters;
 * - no conf change in its log is unapplied (a follower that has not applied a change may be
 *   counting against a configuration the leader has left; tracked conservatively, see
 *   {@link Raft.confIndexSeen}).
 * A member that does not know this message ignores it (a follower's handler drops other
 * types), so members of earlier versions interoperate.
 */

/** Leader: remembers that `from` forwarded the entries up to `last`, which it waits on. */
export function noteForwarded(r: Raft, from: number, last: number): void {
  if (from === r.id || !r.trk.config.voters.incoming.has(from)) return;
  const prev = r.forwarded.get(from);
  if (prev === undefined || prev < last) r.forwarded.set(from, last);
}

/**
 * Leader: its log is durable up to `durable` (its own acknowledgement was just stepped). Sends
 * the leader's acknowledgement to each follower waiting on entries up to there that are not
 * committed yet; those already committed went out with the commit index.
 */
export function sendLeaderAcks(r: Raft, durable: number): void {
  if (r.forwarded.size === 0) return;
  for (const [peer, last] of r.forwarded) {
    if (last > durable) continue;
    r.forwarded.delete(peer);
    if (r.raftLog.committed >= last || !pairMakesQuorum(r, r.id, peer)) continue;
    // Sent at once: the write it reports is already durable (send() would hold it for the next one).
    if (durable > r.leaderAcked) r.leaderAcked = durable;
    r.msgs.push(createMessage({ type: MessageType.MsgAppResp, from: r.id, to: peer, term: r.term, index: durable }));
  }
}

/** Follower: takes the leader's acknowledgement `m` (a `MsgAppResp` of this term). */
export function handleLeaderAck(r: Raft, m: Message): void {
  if (m.reject || m.from !== r.lead) return;
  if (m.index > r.leaderDurable) r.leaderDurable = m.index;
  maybeCommitWithLeader(r);
}

/**
 * Follower: commits what this follower's durable log and the leader's acknowledged one hold in
 * common, when the pair is a majority (see the file's comment). Called when the leader's
 * acknowledgement arrives and when this follower's own write becomes durable.
 */
export function maybeCommitWithLeader(r: Raft): void {
  const log = r.raftLog;
  if (r.state !== StateType.Follower || r.leaderDurable <= log.committed) return;
  if (log.hasNextOrInProgressSnapshot()) return;
  const k = Math.min(r.leaderDurable, log.durableLastIndex());
  if (k <= log.committed || r.confIndexSeen > log.applied) return;
  if (!pairMakesQuorum(r, r.id, r.lead) || log.termOrZero(k) !== r.term) return;
  log.commitTo(k);
}

/** Follower: notes the conf changes among entries just appended to its log. */
export function noteConfEntries(r: Raft, entries: readonly Entry[]): void {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.type === EntryType.EntryNormal) continue;
    if (e.index > r.confIndexSeen) r.confIndexSeen = e.index;
    return;
  }
}

/** Whether `a` and `b` are distinct voters of a non-joint configuration (this node's) that they form a majority of. */
function pairMakesQuorum(r: Raft, a: number, b: number): boolean {
  const voters = r.trk.config.voters;
  if (voters.isJoint() || voters.incoming.size > 3) return false;
  return a !== b && voters.incoming.has(a) && voters.incoming.has(b);
}
