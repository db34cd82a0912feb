import { decodeConfChange, decodeConfChangeV2, type ConfChangeV2, asV2 } from './conf-change.js';
import { NONE } from './constants.js';
import { EMPTY_BYTES, EntryType, type Entry } from './entry.js';
import { MessageRefusedError, ProposalDroppedError } from './errors.js';
import { MessageType, type Message } from './messages.js';
import type { Raft } from './raft.js';
import {
  bcastAppend,
  bcastHeartbeat,
  maybeSendAppend,
  sendAppend,
  sendTimeoutNow,
} from './replication.js';
import { noteForwarded, sendLeaderAcks } from './leader-ack.js';
import { handleReadIndex, handleReadIndexAck, releasePendingReadIndexMessages } from './read-index.js';
import { ProgressState, type Progress } from './tracker/index.js';

/** The leader's message handler (etcd's `stepLeader`), one function per message type. */
export function stepLeader(r: Raft, m: Message): void {
  // These message types do not need a progress for m.from.
  switch (m.type) {
    case MessageType.MsgBeat:
      bcastHeartbeat(r);
      return;
    case MessageType.MsgCheckQuorum:
      handleCheckQuorum(r);
      return;
    case MessageType.MsgProp:
      handlePropose(r, m);
      return;
    case MessageType.MsgReadIndex:
      handleReadIndex(r, m);
      return;
    case MessageType.MsgForgetLeader:
      return; // a leader has nothing to forget
    default:
      break;
  }
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) {
    r.logger.debug(`${r.id} no progress available for ${m.from}`);
    return;
  }
  switch (m.type) {
    case MessageType.MsgAppResp:
      handleAppendResponse(r, m, pr);
      return;
    case MessageType.MsgHeartbeatResp:
      handleHeartbeatResponse(r, m, pr);
      return;
    case MessageType.MsgSnapStatus:
      handleSnapStatus(r, m, pr);
      return;
    case MessageType.MsgUnreachable:
      // An unreachable peer has probably lost the appends in flight: probe again.
      if (pr.state === ProgressState.StateReplicate) pr.becomeProbe();
      r.logger.debug(`${r.id} failed to send message to ${m.from} because it is unreachable [${pr.toString()}]`);
      return;
    case MessageType.MsgTransferLeader:
      handleTransferLeader(r, m, pr);
      return;
    default:
      return;
  }
}

function handleCheckQuorum(r: Raft): void {
  if (!r.trk.quorumActive()) {
    r.logger.warn(`${r.id} stepped down to follower since quorum is not active`);
    r.becomeFollower(r.term, NONE);
  }
  // Mark everyone but ourselves inactive, ready for the next check.
  r.trk.visit((id, pr) => {
    if (id !== r.id) pr.recentActive = false;
  });
}

function decodeAnyConfChange(e: Entry): ConfChangeV2 | undefined {
  try {
    return e.type === EntryType.EntryConfChange ? asV2(decodeConfChange(e.data)) : decodeConfChangeV2(e.data);
  } catch {
    return undefined;
  }
}

function handlePropose(r: Raft, m: Message): void {
  if (m.entries.length === 0) throw new ProposalDroppedError(`${r.id} stepped empty MsgProp`);
  if (!r.trk.progress.has(r.id)) {
    // This leader was removed from the configuration: accept nothing new.
    throw new ProposalDroppedError(`${r.id} is not a member of the configuration; dropping proposal`);
  }
  if (r.leadTransferee !== NONE) {
    r.logger.debug(`${r.id} [term ${r.term}] transfer leadership to ${r.leadTransferee} is in progress; dropping proposal`);
    throw new ProposalDroppedError(`leadership transfer to ${r.leadTransferee} is in progress; dropping proposal`);
  }
  let entries: Entry[] = m.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.type === EntryType.EntryNormal) continue;
    const failed = confChangeCheck(r, decodeAnyConfChange(e));
    if (failed !== undefined) {
      r.logger.info(`${r.id} ignoring conf change at config ${r.trk.config.voters.toString()}: ${failed}`);
      // Replace it with an empty entry, without touching the caller's message.
      if (entries === m.entries) entries = m.entries.slice();
      entries[i] = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES };
    } else {
      r.pendingConfIndex = r.raftLog.lastIndex() + i + 1;
    }
  }
  if (!r.appendEntry(entries)) {
    throw new ProposalDroppedError('uncommitted log size limit (maxUncommittedEntriesSize) exceeded; dropping proposal');
  }
  noteForwarded(r, m.from, r.raftLog.lastIndex());
  bcastAppend(r);
}

/** Returns why a conf change may not be proposed now, or undefined when it may. */
function confChangeCheck(r: Raft, cc: ConfChangeV2 | undefined): string | undefined {
  if (cc === undefined) return 'malformed conf change data';
  const alreadyPending = r.pendingConfIndex > r.raftLog.applied;
  const alreadyJoint = r.trk.config.voters.isJoint();
  const wantsLeaveJoint = cc.changes.length === 0;
  if (alreadyPending) return `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.raftLog.applied})`;
  if (alreadyJoint && !wantsLeaveJoint) return 'must transition out of joint config first';
  if (!alreadyJoint && wantsLeaveJoint) return 'not in joint state; refusing empty conf change';
  return undefined;
}

function handleAppendResponse(r: Raft, m: Message, pr: Progress): void {
  // Also reached from advance, where the leader acknowledges its own appended entries.
  if (!m.reject && m.index > r.raftLog.lastIndex()) {
    throw new MessageRefusedError('ack-beyond-log', `MsgAppResp from ${m.from} acknowledges index ${m.index}, beyond the last index ${r.raftLog.lastIndex()}`);
  }
  pr.recentActive = true;
  if (m.reject) {
    handleAppendRejection(r, m, pr);
    return;
  }
  // Update when the ack raises match, or when it lets a probing peer resume replicating: an
  // ack at match answers the probe only when the probe was sent at match. After a snapshot
  // (probing from past it), an ack at match means the follower ignored the snapshot (it is
  // not in the snapshot's configuration): resuming would re-send the same snapshot at once,
  // again and again, so the peer waits for the next heartbeat, as it would had the ack come
  // while it was still in snapshot state.
  const resumesProbe = pr.match === m.index && pr.state === ProgressState.StateProbe && pr.next === m.index + 1;
  if (!(pr.maybeUpdate(m.index) || resumesProbe)) return;
  if (pr.state === ProgressState.StateProbe) {
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.StateSnapshot && pr.match + 1 >= r.raftLog.firstIndex()) {
    // The follower can be caught up from the log now, whatever snapshot it applied.
    r.logger.debug(`${r.id} recovered from needing snapshot, resumed sending replication messages to ${m.from} [${pr.toString()}]`);
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.StateReplicate) {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    // The commit index moved in this term: pending reads can be served now.
    releasePendingReadIndexMessages(r);
    bcastAppend(r);
  } else if (r.id !== m.from && pr.canBumpCommit(r.raftLog.committed)) {
    // The follower may be missing the latest commit index; tell it without waiting for a heartbeat.
    sendAppend(r, m.from);
  }
  // Flow control may allow several messages now: send as many as possible (no empty ones).
  if (r.id !== m.from) {
    while (maybeSendAppend(r, m.from, false)) {
      // keep sending
    }
  } else {
    // Our own write is durable: followers waiting on entries it covers may commit them.
    sendLeaderAcks(r, m.index);
  }
  if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
    r.logger.info(`${r.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
    sendTimeoutNow(r, m.from);
  }
}

function handleAppendRejection(r: Raft, m: Message, pr: Progress): void {
  // rejectHint is where the follower's log may match, and logTerm its term there. Probing
  // from the largest index whose term is at most logTerm skips whole divergent terms at
  // once instead of one entry per round trip.
  let nextProbeIdx = m.rejectHint;
  if (m.logTerm > 0) nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
  if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
    r.logger.debug(`${r.id} decreased progress of ${m.from} to [${pr.toString()}]`);
    if (pr.state === ProgressState.StateReplicate) pr.becomeProbe();
    sendAppend(r, m.from);
  }
}

function handleHeartbeatResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  // Even a throttled follower gets an (empty) append, so lost appends cannot stall it; a
  // caught-up probing follower gets one so it can return to replicating.
  if (pr.match < r.raftLog.lastIndex() || pr.state === ProgressState.StateProbe) sendAppend(r, m.from);
  handleReadIndexAck(r, m);
}

function handleSnapStatus(r: Raft, m: Message, pr: Progress): void {
  if (pr.state !== ProgressState.StateSnapshot) return;
  if (m.reject) {
    // Clear the pending snapshot first, or probing would start from the snapshot index.
    pr.pendingSnapshot = 0;
    pr.becomeProbe();
    r.logger.debug(`${r.id} snapshot failed, resumed sending replication messages to ${m.from} [${pr.toString()}]`);
  } else {
    pr.becomeProbe();
    r.logger.debug(`${r.id} snapshot succeeded, resumed sending replication messages to ${m.from} [${pr.toString()}]`);
  }
  // Wait for the follower's ack (success) or a heartbeat interval (failure) before the next append.
  pr.msgAppFlowPaused = true;
}

function handleTransferLeader(r: Raft, m: Message, pr: Progress): void {
  if (pr.isLearner) {
    r.logger.debug(`${r.id} is learner. Ignored transferring leadership`);
    return;
  }
  const transferee = m.from;
  const last = r.leadTransferee;
  if (last !== NONE) {
    if (last === transferee) {
      r.logger.info(`${r.id} [term ${r.term}] transfer leadership to ${transferee} is in progress, ignores request to same node`);
      return;
    }
    r.abortLeaderTransfer();
    r.logger.info(`${r.id} [term ${r.term}] abort previous transferring leadership to ${last}`);
  }
  if (transferee === r.id) {
    r.logger.debug(`${r.id} is already leader. Ignored transferring leadership to self`);
    return;
  }
  r.logger.info(`${r.id} [term ${r.term}] starts to transfer leadership to ${transferee}`);
  // The transfer must finish within an election timeout (thesis §3.10).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.raftLog.lastIndex()) {
    sendTimeoutNow(r, transferee);
    r.logger.info(`${r.id} sends MsgTimeoutNow to ${transferee} immediately as ${transferee} already has up-to-date log`);
  } else {
    sendAppend(r, transferee);
  }
}
