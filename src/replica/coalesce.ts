import { EntryType, entrySize, type Entry } from '../raft/entry.js';
import { MessageType, type Message } from '../raft/messages.js';

/**
 * Merges the messages of one Ready that a peer would handle exactly as one, so that a burst
 * of proposals costs each follower one append and one acknowledgement instead of one per
 * proposal. The leader's node sends a `MsgApp` per proposal (each `MsgProp` broadcasts at
 * once, as in etcd's raft), and a follower forwards a `MsgProp` per proposal of its clients;
 * under load one Ready carries dozens of them per peer, each encoded, sent, decoded, stepped,
 * persisted and acknowledged on its own.
 *
 * Two messages to the same peer, the second the next one to that peer, are merged when:
 * - both are `MsgApp` of the same sender and term, the second continuing the first (its
 *   `index` and `logTerm` name the first's last entry) and the entries together within
 *   `maxSizePerMsg` (as the node counts them; a message already over it stays alone): one
 *   `MsgApp` with both runs of entries and the second's commit index. A follower appends and
 *   commits exactly what it would have for the two in turn, and its one acknowledgement (of
 *   the last entry) releases every inflight append the leader counted for them;
 * - both are accepting `MsgAppResp` of the same sender and term, the second acknowledging at
 *   least as far: only the second is sent (an acknowledgement implies every lower one);
 * - both are `MsgProp` (a follower forwarding its clients' proposals) of normal entries only,
 *   together within `maxSizePerMsg`: one `MsgProp` with both runs of entries, which the leader
 *   appends (and broadcasts) at once. Forwarded proposals are never answered: one the leader
 *   drops (a transfer in progress, a full uncommitted log) is lost like a lost message, and its
 *   proposer's request times out; a merged one is dropped or taken whole. Conf changes are
 *   never merged.
 *
 * Nothing else is touched, and the order of the messages to any one peer is kept (a merged
 * message takes the place of the first). The messages given are never modified.
 *
 * @param messages - the messages of one Ready, in order.
 * @param maxSizePerMsg - the node's `maxSizePerMsg`: the merged entries' size bound.
 * @returns `messages` itself when nothing merges, else a new array.
 */
export function coalesceMessages(messages: readonly Message[], maxSizePerMsg: number): readonly Message[] {
  if (messages.length < 2) return messages;
  let out: Message[] | undefined;
  // The last message to each peer: its position in `out` (in `messages` until something
  // merged), its entries' size once counted, and whether it is a copy made here.
  const last = new Map<number, Tail>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const t = last.get(m.to);
    const merged = t === undefined ? undefined : merge((out ?? messages)[t.at]!, t, m, maxSizePerMsg);
    if (merged !== undefined) {
      out ??= messages.slice(0, i);
      out[t!.at] = merged;
      continue;
    }
    if (out !== undefined) out.push(m);
    last.set(m.to, { at: out === undefined ? i : out.length - 1, size: -1, copy: false });
  }
  return out ?? messages;
}

/** The last message to one peer in {@link coalesceMessages}'s output. */
interface Tail {
  at: number;
  /** The total {@link entrySize} of its entries, -1 until counted. */
  size: number;
  /** Whether the message (and its entries array) is a copy that may be extended in place. */
  copy: boolean;
}

/**
 * `a` (the last message to a peer, described by `t`) and `b` (the next one to that peer) as
 * one message, or undefined when they may not merge. A copy made here is extended in place.
 */
function merge(a: Message, t: Tail, b: Message, maxSizePerMsg: number): Message | undefined {
  if (a.type !== b.type || a.from !== b.from || a.term !== b.term || a.reject || b.reject) return undefined;
  if (a.snapshot !== undefined || b.snapshot !== undefined || a.context !== undefined || b.context !== undefined) return undefined;
  if (a.type === MessageType.MsgAppResp) {
    if (b.index < a.index) return undefined;
    t.copy = false;
    return b;
  }
  const n = a.entries.length;
  if (a.type === MessageType.MsgProp) {
    if (!allNormal(a.entries) || !allNormal(b.entries)) return undefined;
  } else if (a.type !== MessageType.MsgApp || b.index !== a.index + n || b.logTerm !== (n === 0 ? a.logTerm : a.entries[n - 1]!.term) || b.commit < a.commit) {
    return undefined;
  }
  if (t.size < 0) t.size = sizeOf(a.entries);
  const add = sizeOf(b.entries);
  if (n > 0 && add > 0 && t.size + add > maxSizePerMsg) return undefined;
  const merged = t.copy ? a : { ...a, entries: a.entries.slice() };
  t.copy = true;
  for (let i = 0; i < b.entries.length; i++) merged.entries.push(b.entries[i]!);
  merged.commit = b.commit;
  t.size += add;
  return merged;
}

function allNormal(entries: readonly Entry[]): boolean {
  for (let i = 0; i < entries.length; i++) if (entries[i]!.type !== EntryType.EntryNormal) return false;
  return true;
}

function sizeOf(entries: readonly Entry[]): number {
  let s = 0;
  for (let i = 0; i < entries.length; i++) s += entrySize(entries[i]!);
  return s;
}
