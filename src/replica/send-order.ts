import { EntryType, type Entry } from '../raft/entry.js';
import type { Message } from '../raft/messages.js';
import { proposerOf } from './envelope.js';

/**
 * The member that waits on a Ready's messages the most: the proposer of the last new entry it
 * appends, else of the last entry it commits (0 when neither is a command with an envelope).
 * A follower that forwarded a client's request answers it only once the entry is durable in
 * its own log and it has learnt the entry's commit, so the leader's append to it, and the
 * commit index after that, are on the request's path; the other followers' copies are not.
 */
export function waitingPeer(entries: readonly Entry[], committed: readonly Entry[]): number {
  const e = entries.length > 0 ? entries[entries.length - 1]! : committed[committed.length - 1];
  return e === undefined || e.type !== EntryType.EntryNormal ? 0 : proposerOf(e.data);
}

/** Whether every normal entry of `entries` carries an envelope of `proposer`'s (conf changes are skipped). */
export function onlyProposedBy(entries: readonly Entry[], proposer: number): boolean {
  for (const e of entries) if (e.type === EntryType.EntryNormal && proposerOf(e.data) !== proposer) return false;
  return true;
}

/**
 * Puts the messages to `peer` ahead of the others, each peer's messages in their own order (a
 * stable partition); returns `messages` itself when none has to move.
 *
 * A transport writes the messages of one send to each peer's connection in the order their
 * peers first appear, and on a machine with few cores each write can wake a peer that then
 * takes the core before the next write: the peer written first gets its message first.
 * Only the order between peers changes, which Raft never depends on.
 */
export function peerFirst(messages: readonly Message[], peer: number): readonly Message[] {
  if (peer === 0 || messages.length < 2 || messages[0]!.to === peer) return messages;
  let found = false;
  for (let i = 1; i < messages.length && !found; i++) found = messages[i]!.to === peer;
  if (!found) return messages;
  const out: Message[] = [];
  for (const m of messages) if (m.to === peer) out.push(m);
  for (const m of messages) if (m.to !== peer) out.push(m);
  return out;
}
