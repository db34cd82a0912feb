import { CompactedError, SnapshotTemporarilyUnavailableError, UnavailableError } from './errors.js';
import { isEmptySnapshot, payloadsSize, type Entry } from './entry.js';
import { MessageType, createMessage } from './messages.js';
import type { Raft } from './raft.js';
import { ProgressState, type Progress } from './tracker/index.js';

/**
 * Sends an append to `to` with the entries it is missing (or an empty one carrying the
 * commit index), or a snapshot when the entries it needs were compacted.
 */
export function sendAppend(r: Raft, to: number): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends an append to `to` if its progress allows. With `sendIfEmpty` false, nothing is sent
 * when there are no entries to send. Returns whether a message was sent.
 */
export function maybeSendAppend(r: Raft, to: number, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.raftLog.termOrUndefined(prevIndex);
  if (prevTerm === undefined) {
    // The log was compacted past what the follower has: it needs a snapshot.
    return maybeSendSnapshot(r, to, pr);
  }
  // Nothing new to send (the common case after an ack): skip the empty slice.
  if (!sendIfEmpty && pr.next > r.raftLog.lastIndex()) return false;
  let ents: Entry[] = [];
  // A throttled replicate-state follower gets only empty appends, which keep the commit
  // index moving and let acks (or rejections) free the inflight window.
  if (pr.state !== ProgressState.StateReplicate || !pr.inflights.full()) {
    try {
      ents = r.raftLog.entries(pr.next, r.maxMsgSize);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return maybeSendSnapshot(r, to, pr);
      throw err;
    }
  }
  if (ents.length === 0 && !sendIfEmpty) return false;
  const commit = r.raftLog.committed;
  r.send(createMessage({ type: MessageType.MsgApp, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit }));
  pr.sentEntries(ents.length, payloadsSize(ents));
  pr.setSentCommit(commit);
  return true;
}

/** Sends the latest snapshot to `to` if it is recently active; returns whether it did. */
export function maybeSendSnapshot(r: Raft, to: number, pr: Progress): boolean {
  if (!pr.recentActive) {
    r.logger.debug(`ignore sending snapshot to ${to} since it is not recently active`);
    return false;
  }
  let snapshot;
  try {
    snapshot = r.raftLog.snapshot();
  } catch (err) {
    if (err instanceof SnapshotTemporarilyUnavailableError) {
      r.logger.debug(`${r.id} failed to send snapshot to ${to} because snapshot is temporarily unavailable`);
      return false;
    }
    throw err;
  }
  if (isEmptySnapshot(snapshot)) {
    r.logger.warn(`${r.id} needs to send a snapshot to ${to} but the storage has none`);
    return false;
  }
  const { index, term } = snapshot.metadata;
  r.logger.debug(
    `${r.id} [firstindex: ${r.raftLog.firstIndex()}, commit: ${r.raftLog.committed}] sent snapshot[index: ${index}, term: ${term}] to ${to} [${pr.toString()}]`,
  );
  pr.becomeSnapshot(index);
  r.send(createMessage({ type: MessageType.MsgSnap, to, snapshot }));
  return true;
}

/**
 * Sends a heartbeat to `to`. It carries `min(match, committed)`: a follower must never be
 * told to commit beyond what it is known to hold.
 */
export function sendHeartbeat(r: Raft, to: number, ctx: Uint8Array | undefined): void {
  const pr = r.trk.progress.get(to);
  if (pr === undefined) return;
  const commit = Math.min(pr.match, r.raftLog.committed);
  r.send(createMessage({ type: MessageType.MsgHeartbeat, to, commit, context: ctx }));
  pr.setSentCommit(commit);
}

/** Sends appends to every peer (in ascending id order). */
export function bcastAppend(r: Raft): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendAppend(r, id);
  });
}

/** Sends heartbeats to every peer, carrying the latest pending read-index context. */
export function bcastHeartbeat(r: Raft): void {
  bcastHeartbeatWithCtx(r, r.readOnly.lastPendingRequestCtx());
}

/** Sends heartbeats to every peer with the given context. */
export function bcastHeartbeatWithCtx(r: Raft, ctx: Uint8Array | undefined): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendHeartbeat(r, id, ctx);
  });
}

/** Tells the transfer target to campaign at once (thesis §3.10). */
export function sendTimeoutNow(r: Raft, to: number): void {
  r.send(createMessage({ type: MessageType.MsgTimeoutNow, to }));
}
