import { NONE } from './constants.js';
import { hup } from './election.js';
import { ProposalDroppedError } from './errors.js';
import { type Snapshot } from './entry.js';
import { MessageType, createMessage, type Message } from './messages.js';
import type { Raft } from './raft.js';
import { restoreFromSnapshot } from './membership.js';
import { handleLeaderAck, noteConfEntries } from './leader-ack.js';

/** The follower's message handler (etcd's `stepFollower`). */
export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgProp:
      if (r.lead === NONE) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
        throw new ProposalDroppedError(`no leader at term ${r.term}; dropping proposal`);
      }
      if (r.disableProposalForwarding) {
        r.logger.info(`${r.id} not forwarding to leader ${r.lead} at term ${r.term}; dropping proposal`);
        throw new ProposalDroppedError(`proposal forwarding is disabled; the leader is ${r.lead}`);
      }
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.MsgApp:
    case MessageType.MsgHeartbeat:
    case MessageType.MsgSnap:
      // Anything from the leader of this term resets the election timer.
      r.electionElapsed = 0;
      r.lead = m.from;
      handleLeaderMessage(r, m);
      return;
    case MessageType.MsgTransferLeader:
    case MessageType.MsgReadIndex:
      if (r.lead === NONE) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping ${m.type === MessageType.MsgReadIndex ? 'index reading' : 'leader transfer'} msg`);
        return;
      }
      // A MsgTransferLeader from the wire (relayed by a member that took this one for the
      // leader) carries its sender's term; relaying it on sends it afresh, stamped with ours.
      r.send({ ...m, to: r.lead, term: 0 });
      return;
    case MessageType.MsgAppResp:
      handleLeaderAck(r, m);
      return;
    case MessageType.MsgForgetLeader:
      handleForgetLeader(r);
      return;
    case MessageType.MsgTimeoutNow:
      // Transfers skip PreVote: the old leader asked for this election.
      r.logger.info(`${r.id} [term ${r.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership.`);
      hup(r, 'transfer');
      return;
    case MessageType.MsgReadIndexResp:
      if (m.entries.length !== 1) {
        r.logger.error(`${r.id} invalid format of MsgReadIndexResp from ${m.from}, entries count: ${m.entries.length}`);
        return;
      }
      r.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
      return;
    default:
      return;
  }
}

function handleForgetLeader(r: Raft): void {
  if (r.readOnly.option === 'lease-based') {
    // Forgetting the leader would let this node vote while the leader still holds its lease.
    r.logger.error('ignoring MsgForgetLeader due to lease-based reads');
    return;
  }
  if (r.lead !== NONE) {
    r.logger.info(`${r.id} forgetting leader ${r.lead} at term ${r.term}`);
    r.lead = NONE;
  }
}

/** Handles a `MsgApp`, `MsgHeartbeat` or `MsgSnap` from the leader of the current term. */
export function handleLeaderMessage(r: Raft, m: Message): void {
  if (m.type === MessageType.MsgApp) handleAppendEntries(r, m);
  else if (m.type === MessageType.MsgHeartbeat) handleHeartbeat(r, m);
  else handleSnapshot(r, m);
}

/**
 * Handles an append (§5.3): accept entries that follow a matching (index, term), or reject
 * with a hint of where the logs may match.
 */
export function handleAppendEntries(r: Raft, m: Message): void {
  const log = r.raftLog;
  if (m.index < log.committed) {
    r.send(createMessage({ type: MessageType.MsgAppResp, to: m.from, index: log.committed }));
    return;
  }
  const lastNew = log.maybeAppend({ index: m.index, term: m.logTerm }, m.commit, m.entries);
  if (lastNew !== undefined) {
    noteConfEntries(r, m.entries);
    r.send(createMessage({ type: MessageType.MsgAppResp, to: m.from, index: lastNew }));
    return;
  }
  r.logger.debug(
    `${r.id} [logterm: ${log.termOrZero(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
  );
  // Hint the largest (index, term) at or below m.index whose term is at most m.logTerm:
  // everything above it in our uncommitted tail cannot match.
  const hint = log.findConflictByTerm(Math.min(m.index, log.lastIndex()), m.logTerm);
  r.send(
    createMessage({
      type: MessageType.MsgAppResp,
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    }),
  );
}

/** Handles a heartbeat: learn the commit index (never beyond what we hold) and answer. */
export function handleHeartbeat(r: Raft, m: Message): void {
  r.raftLog.commitTo(Math.min(m.commit, r.raftLog.lastIndex()));
  r.send(createMessage({ type: MessageType.MsgHeartbeatResp, to: m.from, context: m.context }));
}

/** Handles an install-snapshot message (§7). */
export function handleSnapshot(r: Raft, m: Message): void {
  const s: Snapshot = m.snapshot ?? {
    data: new Uint8Array(0),
    metadata: { index: 0, term: 0, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
  };
  const { index, term } = s.metadata;
  if (restoreFromSnapshot(r, s)) {
    r.logger.info(`${r.id} [commit: ${r.raftLog.committed}] restored snapshot [index: ${index}, term: ${term}]`);
    r.send(createMessage({ type: MessageType.MsgAppResp, to: m.from, index: r.raftLog.lastIndex() }));
  } else {
    r.logger.info(`${r.id} [commit: ${r.raftLog.committed}] ignored snapshot [index: ${index}, term: ${term}]`);
    r.send(createMessage({ type: MessageType.MsgAppResp, to: m.from, index: r.raftLog.committed }));
  }
}
