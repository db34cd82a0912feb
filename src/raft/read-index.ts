import { NONE } from './constants.js';
import { MessageType, createMessage, type Message } from './messages.js';
import type { Raft } from './raft.js';
import { VoteResult } from './quorum/index.js';
import { bcastHeartbeatWithCtx } from './replication.js';

/** Whether the leader has committed an entry in its own term (needed before serving reads). */
export function committedEntryInCurrentTerm(r: Raft): boolean {
  return r.raftLog.termOrZero(r.raftLog.committed) === r.term;
}

/**
 * The index a read must wait for: the commit index, or past it the highest index this leader
 * acknowledged to a follower that forwarded entries (see leader-ack.ts). That follower may
 * have committed and answered a write up to there before this leader learned of the commit;
 * a read that starts after that answer must see the write.
 */
function readIndexOf(r: Raft): number {
  return Math.max(r.raftLog.committed, r.leaderAcked);
}

/**
 * Answers a read-index request at `readIndex`: a local request becomes a ReadState, a
 * forwarded one a `MsgReadIndexResp` (returned for the caller to send).
 */
export function responseToReadIndexReq(r: Raft, req: Message, readIndex: number): Message | undefined {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index: readIndex, requestCtx: req.entries[0]!.data });
    return undefined;
  }
  return createMessage({ type: MessageType.MsgReadIndexResp, to: req.from, index: readIndex, entries: req.entries });
}

/**
 * Handles a read-index request on the leader (thesis §6.4): deferred until the leader commits
 * in its term, then answered at once by a single voter, or confirmed by a heartbeat round
 * (safe) or the lease (lease-based).
 */
export function handleReadIndex(r: Raft, m: Message): void {
  // Until it commits an entry of its term, a new leader does not know the commit index
  // (thesis §6.4): defer the read. A single voter too: after a restart its stored commit
  // index may trail entries it committed (and acknowledged) before, since a change of the
  // commit index alone is not synced.
  if (!committedEntryInCurrentTerm(r)) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  sendReadIndexResponse(r, m);
}

/** Serves a read-index request: a heartbeat round in safe mode, at once under a lease. */
export function sendReadIndexResponse(r: Raft, m: Message): void {
  if (r.trk.isSingleton()) {
    // The only voter: nobody else can have a newer commit index.
    const resp = responseToReadIndexReq(r, m, readIndexOf(r));
    if (resp !== undefined) r.send(resp);
    return;
  }
  if (r.readOnly.option === 'safe') {
    const ctx = m.entries[0]!.data;
    r.readOnly.addRequest(readIndexOf(r), m);
    r.readOnly.recvAck(r.id, ctx);
    bcastHeartbeatWithCtx(r, ctx);
    return;
  }
  const resp = responseToReadIndexReq(r, m, readIndexOf(r));
  if (resp !== undefined) r.send(resp);
}

/** Serves reads deferred until this leader committed an entry in its term. */
export function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0) return;
  if (!committedEntryInCurrentTerm(r)) {
    r.logger.error('pending MsgReadIndex should be released only after first commit in current term');
    return;
  }
  const msgs = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of msgs) sendReadIndexResponse(r, m);
}

/**
 * Records a heartbeat acknowledgement carrying a read context; once a quorum acknowledged
 * it, answers that request and every one queued before it.
 */
export function handleReadIndexAck(r: Raft, m: Message): void {
  if (r.readOnly.option !== 'safe' || m.context === undefined || m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined || r.trk.config.voters.voteResult(acks) !== VoteResult.VoteWon) return;
  for (const rs of r.readOnly.advance(m)) {
    const resp = responseToReadIndexReq(r, rs.req, rs.index);
    if (resp !== undefined) r.send(resp);
  }
}
