/**
 * The door of the Raft core: the structural rules every message from a peer must obey before
 * it may reach {@link RaftNode.step}. The core relies on each of them (a broken one used to
 * stop a member with `ERR_RAFT_INVARIANT`, a raw `TypeError`, or a term it cannot leave);
 * checking them all here, on the message alone, keeps that class of input closed by
 * construction instead of by a patch per symptom. A refused message touches no state.
 *
 * The checks that need the node's state (an append that contradicts the committed log, an
 * acknowledgement beyond the leader's log, a term raised too far at once) are made by the
 * core itself, before it changes anything, and refuse with the same error.
 *
 * @module
 */
import { Changer, restore as restoreConfig } from './confchange/index.js';
import type { ConfState, Entry } from './entry.js';
import { MessageRefusedError } from './errors.js';
import { MessageType, MessageTypeName, isLocalMessage, isMessageType, type Message } from './messages.js';
import { ProgressTracker } from './tracker/index.js';

/**
 * The largest log index accepted from a peer (index, commit, rejectHint, entry and snapshot
 * indexes): 2^52. Half of the safe-integer range, so `index + entries` stays exact; a log
 * growing a million entries per second needs 140 years to reach it.
 */
export const MAX_INDEX = 2 ** 52;

/**
 * The largest term accepted from a peer: 2^53 − 2^32, so that `term + 1` stays exact with
 * four billion elections to spare. Terms up to {@link TERM_SOFT_LIMIT} are accepted as Raft
 * always does; above it, see {@link MAX_TERM_STEP}.
 */
export const MAX_TERM = Number.MAX_SAFE_INTEGER - 2 ** 32;

/**
 * 2^52: no cluster reaches this term by elections (4.5 × 10^15 of them), only by a peer
 * sending it. Above it, a message may raise a node's term by at most {@link MAX_TERM_STEP}
 * beyond `max(term, TERM_SOFT_LIMIT)`: a message pushing the term to 2^52 leaves 2^52 − 2^32
 * terms for elections, and exhausting them takes 2^32 accepted messages. Below it there is
 * no step limit, so a member that lagged behind always follows the cluster.
 */
export const TERM_SOFT_LIMIT = 2 ** 52;

/** The most a single peer message may raise a term above {@link TERM_SOFT_LIMIT}: 2^20. */
export const MAX_TERM_STEP = 2 ** 20;

/**
 * Whether a message of term `term` may raise the term of a node at `current` (the
 * `term-step` rule, checked by the core).
 */
export function termStepAllowed(current: number, term: number): boolean {
  return term <= TERM_SOFT_LIMIT || term - Math.max(current, TERM_SOFT_LIMIT) <= MAX_TERM_STEP;
}

/** The name of one of the {@link PEER_MESSAGE_RULES}. */
export type PeerMessageRule =
  | 'wire-type'
  | 'addressing'
  | 'bounds'
  | 'term-set'
  | 'entries-allowed'
  | 'snapshot-allowed'
  | 'append-contiguous'
  | 'append-terms'
  | 'proposal-entries'
  | 'read-index-entries'
  | 'vote-log'
  | 'reject-hint'
  | 'snapshot-metadata'
  | 'append-conflicts-committed'
  | 'ack-beyond-log'
  | 'term-step';

/**
 * Every structural rule a peer message must obey, by name (the `rule` of
 * {@link MessageRefusedError}). The first group is checked by {@link checkPeerMessage}; the
 * last three by the core against its state.
 */
export const PEER_MESSAGE_RULES: Readonly<Record<PeerMessageRule, string>> = {
  'wire-type': 'the type is a known message type that travels on the wire (not a local one such as MsgHup)',
  addressing: '`to` is this node, `from` is another node (a positive id)',
  bounds: 'every term (term, logTerm, entry and snapshot terms) is at most MAX_TERM, and every index (index, commit, rejectHint, entry and snapshot indexes) at most MAX_INDEX',
  'term-set': 'the term is set (> 0) on every type but MsgProp and MsgReadIndex, which are forwarded without one; those two carry term 0',
  'entries-allowed': 'only MsgApp, MsgProp, MsgReadIndex and MsgReadIndexResp carry entries',
  'snapshot-allowed': 'only MsgSnap carries a snapshot, and MsgSnap always carries one',
  'append-contiguous': 'MsgApp entries have indexes index+1, index+2, … in order',
  'append-terms': "MsgApp: logTerm <= term, entries' terms are non-decreasing, at least logTerm and at most the message's term",
  'proposal-entries': 'MsgProp carries at least one entry, each with term and index 0 (the leader assigns them) and data within the size limit',
  'read-index-entries': 'MsgReadIndex and MsgReadIndexResp carry exactly one entry (the request context)',
  'vote-log': "MsgVote and MsgPreVote: the candidate's last log term is at most its term",
  'reject-hint': 'a rejected MsgAppResp hints an index at or below the rejected one',
  'snapshot-metadata': "MsgSnap: the snapshot's index and term are positive, its term at most the message's term, and its ConfState a valid configuration with at least one voter",
  'append-conflicts-committed':
    'checked by the core: MsgApp never rewrites an entry at or below the commit index (unreachable once append-contiguous holds, since the core skips appends whose index is below the commit index)',
  'ack-beyond-log': "checked by the core: a MsgAppResp never acknowledges an index beyond the leader's last index",
  'term-step':
    'checked by the core: above TERM_SOFT_LIMIT, a message raises the term by at most MAX_TERM_STEP beyond max(current term, TERM_SOFT_LIMIT); a message beyond that is refused, but the node raises its own term to that ceiling (without a leader), so a lagging member catches up one step per message instead of being sidelined',
};

/** Limits of {@link checkPeerMessage} that depend on the driver's configuration. */
export interface PeerMessageLimits {
  /** The largest entry data a forwarded proposal may carry, in bytes. Default: unlimited. */
  maxProposalBytes?: number;
}

function refuse(rule: PeerMessageRule, m: Message, detail: string): never {
  throw new MessageRefusedError(rule, `${MessageTypeName[m.type] ?? String(m.type)} from ${m.from}: ${detail}`);
}

function termOk(v: number): boolean {
  return v <= MAX_TERM;
}

function indexOk(v: number): boolean {
  return v <= MAX_INDEX;
}

const WITH_ENTRIES = new Set<number>([MessageType.MsgApp, MessageType.MsgProp, MessageType.MsgReadIndex, MessageType.MsgReadIndexResp]);
const TERMLESS = new Set<number>([MessageType.MsgProp, MessageType.MsgReadIndex]);

/**
 * Checks that a message received from a peer obeys every stateless rule of
 * {@link PEER_MESSAGE_RULES}, for node `self`. Fields are assumed to have their wire types
 * (the codec checked that: non-negative safe integers, known entry types, bytes).
 *
 * @throws {@link MessageRefusedError} naming the first rule the message breaks.
 */
export function checkPeerMessage(m: Message, self: number, limits: PeerMessageLimits = {}): void {
  if (!isMessageType(m.type) || isLocalMessage(m.type)) refuse('wire-type', m, `type ${String(m.type)} is not a wire message type`);
  if (m.to !== self || m.from === self || m.from <= 0) refuse('addressing', m, `from ${m.from} to ${m.to} at node ${self}`);
  checkBounds(m);
  if (TERMLESS.has(m.type) ? m.term !== 0 : m.term === 0) refuse('term-set', m, `term ${m.term}`);
  if (m.entries.length > 0 && !WITH_ENTRIES.has(m.type)) refuse('entries-allowed', m, `${m.entries.length} entries`);
  if ((m.snapshot !== undefined) !== (m.type === MessageType.MsgSnap)) refuse('snapshot-allowed', m, m.snapshot === undefined ? 'no snapshot' : 'an unexpected snapshot');
  switch (m.type) {
    case MessageType.MsgApp:
      checkAppend(m);
      return;
    case MessageType.MsgProp:
      checkProposal(m, limits.maxProposalBytes ?? Infinity);
      return;
    case MessageType.MsgReadIndex:
    case MessageType.MsgReadIndexResp:
      if (m.entries.length !== 1) refuse('read-index-entries', m, `${m.entries.length} entries`);
      return;
    case MessageType.MsgVote:
    case MessageType.MsgPreVote:
      if (m.logTerm > m.term) refuse('vote-log', m, `last log term ${m.logTerm} above term ${m.term}`);
      return;
    case MessageType.MsgAppResp:
      if (m.reject && m.rejectHint > m.index) refuse('reject-hint', m, `hint ${m.rejectHint} above rejected index ${m.index}`);
      return;
    case MessageType.MsgSnap:
      checkSnapshot(m);
      return;
    default:
      return;
  }
}

function checkBounds(m: Message): void {
  if (!(termOk(m.term) && termOk(m.logTerm) && indexOk(m.index) && indexOk(m.commit) && indexOk(m.rejectHint))) {
    refuse('bounds', m, `term ${m.term}, logTerm ${m.logTerm}, index ${m.index}, commit ${m.commit}, rejectHint ${m.rejectHint}`);
  }
  if (m.index + m.entries.length > MAX_INDEX) refuse('bounds', m, `entries end beyond index ${MAX_INDEX}`);
  for (const e of m.entries) {
    if (!termOk(e.term) || !indexOk(e.index)) refuse('bounds', m, `entry term ${e.term}, index ${e.index}`);
  }
  const md = m.snapshot?.metadata;
  if (md !== undefined && !(termOk(md.term) && indexOk(md.index))) refuse('bounds', m, `snapshot term ${md.term}, index ${md.index}`);
}

function checkAppend(m: Message): void {
  if (m.logTerm > m.term) refuse('append-terms', m, `logTerm ${m.logTerm} above term ${m.term}`);
  let prevTerm = m.logTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e: Entry = m.entries[i]!;
    if (e.index !== m.index + 1 + i) refuse('append-contiguous', m, `entry ${i} has index ${e.index}, expected ${m.index + 1 + i}`);
    if (e.term < prevTerm || e.term > m.term) {
      refuse('append-terms', m, `entry ${e.index} has term ${e.term}, previous ${prevTerm}, message term ${m.term}`);
    }
    prevTerm = e.term;
  }
}

function checkProposal(m: Message, maxBytes: number): void {
  if (m.entries.length === 0) refuse('proposal-entries', m, 'no entries');
  for (const e of m.entries) {
    if (e.term !== 0 || e.index !== 0) refuse('proposal-entries', m, `an entry with term ${e.term} and index ${e.index}`);
    if (e.data.length > maxBytes) refuse('proposal-entries', m, `an entry of ${e.data.length} bytes, more than ${maxBytes}`);
  }
}

function checkSnapshot(m: Message): void {
  const md = m.snapshot!.metadata;
  if (md.index === 0 || md.term === 0 || md.term > m.term) refuse('snapshot-metadata', m, `index ${md.index}, term ${md.term}, message term ${m.term}`);
  const why = confStateProblem(md.confState);
  if (why !== undefined) refuse('snapshot-metadata', m, why);
}

/** Why `cs` is not a configuration a snapshot may carry, or `undefined` when it is one. */
function confStateProblem(cs: ConfState): string | undefined {
  if (cs.voters.length === 0) return 'a ConfState without voters';
  for (const list of [cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext]) {
    if (new Set(list).size !== list.length) return `a ConfState listing a member twice in [${list.join(',')}]`;
    for (const id of list) if (id <= 0) return `a ConfState with member id ${id}`;
  }
  try {
    // A dry run of the restore the follower would do, on a throw-away tracker; the result
    // must be the configuration the snapshot describes (the follower checks that too).
    const t = new ProgressTracker(1, Infinity);
    const res = restoreConfig(new Changer(t, 0), cs);
    t.config = res.config;
    t.progress = res.progress;
    const got = t.confState();
    const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
    const equal = same(got.voters, cs.voters) && same(got.learners, cs.learners) && same(got.votersOutgoing, cs.votersOutgoing) &&
      same(got.learnersNext, cs.learnersNext) && got.autoLeave === cs.autoLeave;
    return equal ? undefined : 'a ConfState that does not restore to itself';
  } catch (err) {
    return `an invalid ConfState: ${err instanceof Error ? err.message : String(err)}`;
  }
}
