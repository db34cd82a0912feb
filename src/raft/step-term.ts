import { MessageType, MessageTypeName, createMessage, voteRespMsgType, type Message } from './messages.js';
import { CAMPAIGN_TRANSFER, NONE } from './constants.js';
import { MessageRefusedError } from './errors.js';
import { MAX_TERM_STEP, TERM_SOFT_LIMIT, termStepAllowed } from './peer-message.js';
import type { Raft } from './raft.js';

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The term checks that precede every role's handler (§5.1): a higher term makes the node
 * a follower, a lower term is ignored or answered so the sender can catch up. Returns
 * whether the message should be processed further.
 */
export function stepByTerm(r: Raft, m: Message): boolean {
  if (m.term === 0) return true; // local message or forwarded proposal/read
  if (m.term > r.term) {
    if (!termStepAllowed(r.term, m.term)) {
      // Refused, but ratchet: move to the highest term one message may reach, so a member
      // left below a cluster whose terms jumped (a hostile peer pushed the others above the
      // soft limit) follows it after a few messages instead of never. Exhausting the term
      // space still takes ~2^32 messages. As for any higher term, never on a PreVote, and
      // not for a vote request within the vote lease.
      const ceiling = Math.max(r.term, TERM_SOFT_LIMIT) + MAX_TERM_STEP;
      const vote = m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote;
      const inLease = vote && r.checkQuorum && r.lead !== NONE && r.electionElapsed < r.electionTimeout;
      const preVote = m.type === MessageType.MsgPreVote || m.type === MessageType.MsgPreVoteResp;
      if (!inLease && !preVote) r.becomeFollower(ceiling, NONE);
      throw new MessageRefusedError('term-step', `${MessageTypeName[m.type]} from ${m.from} raises the term from ${r.term} to ${m.term}: above ${TERM_SOFT_LIMIT}, by more than ${MAX_TERM_STEP} at once`);
    }
    return stepHigherTerm(r, m);
  }
  if (m.term < r.term) {
    stepLowerTerm(r, m);
    return false;
  }
  return true;
}

function stepHigherTerm(r: Raft, m: Message): boolean {
  if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
    const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
    const inLease = r.checkQuorum && r.lead !== NONE && r.electionElapsed < r.electionTimeout;
    if (!force && inLease) {
      // Within the minimum election timeout of hearing from a current leader, a server
      // neither updates its term nor grants its vote (thesis §4.2.3, the vote lease).
      const last = r.raftLog.lastEntryId();
      r.logger.info(
        `${r.id} [logterm: ${last.term}, index: ${last.index}, vote: ${r.vote}] ignored ${MessageTypeName[m.type]} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}: lease is not expired (remaining ticks: ${r.electionTimeout - r.electionElapsed})`,
      );
      return false;
    }
  }
  if (m.type === MessageType.MsgPreVote) {
    // Never change the term in response to a PreVote.
  } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
    // A granted PreVote carries the future term; the term is increased only once a quorum
    // grants it.
  } else {
    r.logger.info(
      `${r.id} [term: ${r.term}] received a ${MessageTypeName[m.type]} message with higher term from ${m.from} [term: ${m.term}]`,
    );
    const fromLeader = m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap;
    r.becomeFollower(m.term, fromLeader ? m.from : NONE);
  }
  return true;
}

function stepLowerTerm(r: Raft, m: Message): void {
  if ((r.checkQuorum || r.preVote) && (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)) {
    // A leader of an older term: this node may have advanced its term while partitioned.
    // Answering with our term lets that leader step down; without this a node that
    // cannot win (vote lease, PreVote) would never rejoin.
    r.send(createMessage({ type: MessageType.MsgAppResp, to: m.from }));
  } else if (m.type === MessageType.MsgPreVote) {
    // Reject rather than drop, or a cluster upgrading to PreVote could deadlock.
    const last = r.raftLog.lastEntryId();
    r.logger.info(
      `${r.id} [logterm: ${last.term}, index: ${last.index}, vote: ${r.vote}] rejected ${MessageTypeName[m.type]} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`,
    );
    r.send(createMessage({ type: MessageType.MsgPreVoteResp, to: m.from, term: r.term, reject: true }));
  } else {
    r.logger.info(
      `${r.id} [term: ${r.term}] ignored a ${MessageTypeName[m.type]} message with lower term from ${m.from} [term: ${m.term}]`,
    );
  }
}

/**
 * Answers a `MsgVote` or `MsgPreVote` (§5.2, §5.4.1, thesis §9.6). A vote is granted to a
 * candidate whose log is at least as up to date as ours, if we have not voted for someone
 * else in this term and know of no leader (a PreVote for a future term is always eligible).
 * Learners answer too: a promoted learner may not have learned of its promotion yet.
 */
export function handleVoteRequest(r: Raft, m: Message): void {
  const canVote =
    r.vote === m.from ||
    (r.vote === NONE && r.lead === NONE) ||
    (m.type === MessageType.MsgPreVote && m.term > r.term);
  const last = r.raftLog.lastEntryId();
  if (canVote && r.raftLog.isUpToDate(m.index, m.logTerm)) {
    r.logger.info(
      `${r.id} [logterm: ${last.term}, index: ${last.index}, vote: ${r.vote}] cast ${MessageTypeName[m.type]} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`,
    );
    // Respond with the message's term, not ours: for PreVote they differ, and the
    // candidate ignores responses from older terms.
    r.send(createMessage({ type: voteRespMsgType(m.type), to: m.from, term: m.term }));
    if (m.type === MessageType.MsgVote) {
      // Only real votes are recorded.
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.logger.info(
      `${r.id} [logterm: ${last.term}, index: ${last.index}, vote: ${r.vote}] rejected ${MessageTypeName[m.type]} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`,
    );
    r.send(createMessage({ type: voteRespMsgType(m.type), to: m.from, term: r.term, reject: true }));
  }
}
