import { EntryType, type Entry } from '../raft/entry.js';
import { MessageType, type Message } from '../raft/messages.js';
import { proposerOf } from './envelope.js';
import { ChurnMap } from '../churn-map.js';

/**
 * How long a leader may hold a commit-only append to a follower that waits on none of the
 * entries it commits, and a follower its acknowledgement of a commit-only append, in
 * milliseconds of the replica's clock (see {@link CommitHold}).
 */
export const COMMIT_HOLD_MS = 10;

/**
 * A leader's commit-only appends (`MsgApp` without entries, carrying a new commit index) to
 * followers that proposed none of the entries being committed, held back until the next
 * append to that follower supersedes them or {@link COMMIT_HOLD_MS} passes.
 *
 * Such a follower waits on nothing: it learns the commit index from the leader's next append
 * (which carries the index at the time it is sent, never lower), or from the held message
 * once the hold ends, so its applied state lags by at most the hold. Every append it is
 * spared also spares its acknowledgement: at one request in flight that is two of the
 * request's eight or nine peer messages per such follower, and one Ready of the follower's.
 * A follower that proposed one of the entries answers its client only once it learns their
 * commit, so its message is never held, unless the leader already acknowledged its own durable
 * copy of them to that follower (see src/raft/leader-ack.ts): such a follower commits them
 * itself once its own copy is durable, and the append would only repeat what it knows.
 * Dropping a superseded append is the same to Raft as losing it on the network; sending a held
 * one late is the same as a slow network.
 *
 * Order per peer is kept: a held append goes out ahead of any later message to its peer
 * that does not supersede it (a heartbeat, a snapshot's neighbour).
 *
 * A follower holds its acknowledgement of a commit-only append the same way (see
 * {@link CommitHold.takeAcks}): the leader learns nothing from it that the follower's next
 * acknowledgement does not tell it too (an index at least as high), and at one request in
 * flight that next one follows within the next request. So a request a follower forwards
 * costs the leader's commit-only append to it, not that and its answer. Other messages to
 * the leader pass a held acknowledgement (a forwarded proposal, whose append brings the
 * acknowledgement that supersedes it): the leader uses an acknowledgement only to learn the
 * follower's index, and Raft takes messages in any order.
 */
export class CommitHold {
  /** The held message per peer: a commit-only append to a follower, or a follower's acknowledgement to its leader. */
  private readonly held = new ChurnMap<number, Message>();
  /** Per follower, the highest index this leader acknowledged to it in its current leadership. */
  private readonly leaderAcked = new Map<number, number>();

  /** Notes the leader's acknowledgements among `messages` (those of a leader's Ready). */
  noteLeaderAcks(messages: readonly Message[]): void {
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (!isAck(m) || m.index <= (this.leaderAcked.get(m.to) ?? 0)) continue;
      this.leaderAcked.set(m.to, m.index);
    }
  }

  /**
   * Takes from `messages` (those of a leader's Ready that appends no new entries and commits
   * `committed`, which holds no conf change) the commit-only appends to followers that
   * proposed none of `committed` past what the leader acknowledged to them; returns the rest
   * (`messages` itself when none is taken).
   */
  take(messages: readonly Message[], committed: readonly Entry[]): readonly Message[] {
    let rest: Message[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const hold = m.type === MessageType.MsgApp && m.entries.length === 0 && !proposedAny(committed, m.to, this.leaderAcked.get(m.to) ?? 0);
      if (hold) {
        rest ??= messages.slice(0, i);
        this.held.set(m.to, m);
      } else if (rest !== undefined) {
        rest.push(m);
      }
    }
    return rest ?? messages;
  }

  /**
   * Takes a follower's acknowledgements of a commit-only append (the persisted messages of a
   * follower's Ready that commits entries it already had): when every one of `messages` is an
   * acknowledgement (`MsgAppResp`, not a rejection, which the leader acts on), holds them until
   * a later acknowledgement to the same leader supersedes them (see {@link CommitHold.settle})
   * or the hold ends, and returns none; otherwise returns `messages` itself, holding nothing.
   * A held one that a newer one supersedes is replaced.
   */
  takeAcks(messages: readonly Message[]): readonly Message[] {
    for (const m of messages) if (!isAck(m)) return messages;
    for (const m of messages) {
      const held = this.held.get(m.to);
      if (held === undefined || supersedes(held, m)) this.held.set(m.to, m);
    }
    return [];
  }

  /** Whether any message is held. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Settles the held messages against `messages`, which are about to be sent: a held message
   * that one of `messages` supersedes is dropped (an append of the same term to its peer, which
   * carries a commit index at least as high; an acknowledgement of the same term and an index
   * at least as high); a held append to a peer `messages` sends anything else goes out first
   * (a held acknowledgement stays held). Returns the messages to send (`messages` itself when
   * nothing changes).
   */
  settle(messages: readonly Message[]): readonly Message[] {
    if (this.held.size === 0) return messages;
    let first: Message[] | undefined;
    for (const [peer, h] of this.held) {
      let to = false;
      let superseded = false;
      for (let i = 0; i < messages.length && !superseded; i++) {
        const m = messages[i]!;
        if (m.to !== peer) continue;
        to = true;
        superseded = supersedes(h, m);
      }
      if (!to) continue;
      if (!superseded && h.type === MessageType.MsgAppResp) continue; // an acknowledgement lets other messages pass
      this.held.delete(peer);
      if (!superseded) (first ??= []).push(h);
    }
    if (first === undefined) return messages;
    for (const m of messages) first.push(m);
    return first;
  }

  /** Drops what is held (stale now: as if lost) and forgets the leader's acknowledgements, when the leadership changes. */
  reset(): void {
    this.leaderAcked.clear();
    this.held.clear();
  }

  /** Empties the hold; returns what it held. */
  release(): Message[] {
    const out = [...this.held.values()];
    this.held.clear();
    return out;
  }
}

/** Whether `m` acknowledges an append (a rejection is never held: the leader acts on it). */
function isAck(m: Message): boolean {
  return m.type === MessageType.MsgAppResp && !m.reject;
}

/** Whether `m`, sent after the held message `held` to the same peer, tells that peer all `held` would. */
function supersedes(held: Message, m: Message): boolean {
  if (m.term !== held.term || m.type !== held.type) return false;
  return m.type === MessageType.MsgApp || (isAck(m) && m.index >= held.index);
}

/** Whether any normal entry of `entries` past index `acked` carries an envelope of `peer`'s. */
function proposedAny(entries: readonly Entry[], peer: number, acked: number): boolean {
  for (const e of entries) if (e.index > acked && e.type === EntryType.EntryNormal && proposerOf(e.data) === peer) return true;
  return false;
}
