import { CAMPAIGN_TRANSFER } from './constants.js';
import { EntryType } from './entry.js';
import { MessageType, MessageTypeName, createMessage, voteRespMsgType } from './messages.js';
import type { CampaignType, Raft } from './raft.js';
import { StateType } from './ready.js';
import type { VoteResult } from './quorum/index.js';

/** Starts an election (or PreVote round) unless this node cannot or need not campaign (§5.2). */
export function hup(r: Raft, t: CampaignType): void {
  if (r.state === StateType.Leader) {
    r.logger.debug(`${r.id} ignoring MsgHup because already leader`);
    return;
  }
  if (!r.promotable()) {
    r.logger.warn(`${r.id} is unpromotable and can not campaign`);
    return;
  }
  if (hasUnappliedConfChanges(r)) {
    r.logger.warn(`${r.id} cannot campaign at term ${r.term} since there are still pending configuration changes to apply`);
    return;
  }
  r.logger.info(`${r.id} is starting a new election at term ${r.term}`);
  campaign(r, t);
}

/**
 * Whether a committed but unapplied entry is a conf change: a node must not campaign on a
 * configuration it has not finished applying. Scans in pages to bound memory.
 */
function hasUnappliedConfChanges(r: Raft): boolean {
  const log = r.raftLog;
  if (log.applied >= log.committed) return false;
  let lo = log.applied + 1;
  const hi = log.committed + 1;
  while (lo < hi) {
    const ents = log.slice(lo, hi, log.maxApplyingEntsSize);
    if (ents.length === 0) break;
    for (const e of ents) if (e.type !== EntryType.EntryNormal) return true;
    lo += ents.length;
  }
  return false;
}

/** Becomes (pre-)candidate and requests votes from every voter; its own vote counts once persisted. */
export function campaign(r: Raft, t: CampaignType): void {
  let term: number;
  let voteMsg: MessageType;
  if (t === 'pre-election') {
    r.becomePreCandidate();
    voteMsg = MessageType.MsgPreVote;
    // PreVote requests are sent for the next term before the term is increased.
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    voteMsg = MessageType.MsgVote;
    term = r.term;
  }
  const ids = [...r.trk.config.voters.ids()].sort((a, b) => a - b);
  const last = r.raftLog.lastEntryId();
  for (const id of ids) {
    if (id === r.id) {
      // The self-vote is stepped once the vote is durable (see RaftNode.advance).
      r.send(createMessage({ type: voteRespMsgType(voteMsg), to: id, term }));
      continue;
    }
    r.logger.info(
      `${r.id} [logterm: ${last.term}, index: ${last.index}] sent ${MessageTypeName[voteMsg]} request to ${id} at term ${r.term}`,
    );
    r.send(
      createMessage({
        type: voteMsg,
        to: id,
        term,
        index: last.index,
        logTerm: last.term,
        context: t === 'transfer' ? CAMPAIGN_TRANSFER : undefined,
      }),
    );
  }
}

/** Records a vote and returns the tally. */
export function poll(r: Raft, id: number, t: MessageType, v: boolean): { granted: number; rejected: number; result: VoteResult } {
  r.logger.info(`${r.id} received ${MessageTypeName[t]} ${v ? '' : 'rejection '}from ${id} at term ${r.term}`);
  r.trk.recordVote(id, v);
  return r.trk.tallyVotes();
}
