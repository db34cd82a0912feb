import { NONE } from './constants.js';
import { campaign, poll } from './election.js';
import { ProposalDroppedError } from './errors.js';
import { MessageType, MessageTypeName, type Message } from './messages.js';
import { VoteResult } from './quorum/index.js';
import type { Raft } from './raft.js';
import { StateType } from './ready.js';
import { bcastAppend } from './replication.js';
import { handleLeaderMessage } from './step-follower.js';

/** The candidate's and pre-candidate's message handler (etcd's `stepCandidate`). */
export function stepCandidate(r: Raft, m: Message): void {
  // Only count responses to our own candidacy: a candidate may still receive stale
  // PreVote responses from its pre-candidate phase in the same term.
  const myVoteRespType = r.state === StateType.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
  switch (m.type) {
    case MessageType.MsgProp:
      r.logger.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
      throw new ProposalDroppedError(`no leader at term ${r.term}; dropping proposal`);
    case MessageType.MsgApp:
    case MessageType.MsgHeartbeat:
    case MessageType.MsgSnap:
      // A leader of this term exists (m.term === r.term here): follow it.
      r.becomeFollower(m.term, m.from);
      handleLeaderMessage(r, m);
      return;
    case myVoteRespType:
      handleVoteResponse(r, m);
      return;
    case MessageType.MsgTimeoutNow:
      r.logger.debug(`${r.id} [term ${r.term} state ${r.state}] ignored MsgTimeoutNow from ${m.from}`);
      return;
    default:
      return;
  }
}

function handleVoteResponse(r: Raft, m: Message): void {
  const { granted, rejected, result } = poll(r, m.from, m.type, !m.reject);
  r.logger.info(`${r.id} has received ${granted} ${MessageTypeName[m.type]} votes and ${rejected} vote rejections`);
  if (result === VoteResult.VoteWon) {
    if (r.state === StateType.PreCandidate) {
      campaign(r, 'election');
    } else {
      r.becomeLeader();
      bcastAppend(r);
    }
  } else if (result === VoteResult.VoteLost) {
    // A PreVote response carries the future term; stay in ours.
    r.becomeFollower(r.term, NONE);
  }
}
