import { asV2, decodeConfChange, decodeConfChangeV2 } from './conf-change.js';
import { Changer, restore as restoreConfig } from './confchange/index.js';
import { NONE } from './constants.js';
import { EntryType, type ConfState, type Snapshot } from './entry.js';
import { RaftInvariantError } from './errors.js';
import type { Raft } from './raft.js';
import { StateType } from './ready.js';
import { bcastAppend, maybeSendAppend } from './replication.js';
import { ProgressTracker, describeTrackerConfig, type ProgressMap, type TrackerConfig } from './tracker/index.js';

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  for (const x of b) if (!s.has(x)) return false;
  return true;
}

/** Whether two ConfStates describe the same configuration (ignoring order). */
export function confStatesEquivalent(a: ConfState, b: ConfState): boolean {
  return (
    sameSet(a.voters, b.voters) &&
    sameSet(a.learners, b.learners) &&
    sameSet(a.votersOutgoing, b.votersOutgoing) &&
    sameSet(a.learnersNext, b.learnersNext) &&
    a.autoLeave === b.autoLeave
  );
}

/**
 * Switches to a new configuration (from a conf change or a snapshot) and reacts to it: a
 * removed leader may step down, a leader may commit more (the quorum changed) and probes
 * new peers at once.
 */
export function switchToConfig(r: Raft, cfg: TrackerConfig, progress: ProgressMap): ConfState {
  r.trk.config = cfg;
  r.trk.progress = progress;
  r.logger.info(`${r.id} switched to configuration ${describeTrackerConfig(r.trk.config)}`);
  const cs = r.trk.confState();
  const pr = r.trk.progress.get(r.id);
  r.isLearner = pr !== undefined && pr.isLearner;
  if ((pr === undefined || r.isLearner) && r.state === StateType.Leader) {
    // This leader was removed or demoted.
    if (r.stepDownOnRemoval) r.becomeFollower(r.term, NONE);
    return cs;
  }
  if (r.state !== StateType.Leader || cs.voters.length === 0) return cs;
  if (r.maybeCommit()) {
    bcastAppend(r);
  } else {
    r.trk.visit((id) => {
      if (id !== r.id) maybeSendAppend(r, id, false);
    });
  }
  if (r.leadTransferee !== NONE && !r.trk.config.voters.ids().has(r.leadTransferee)) r.abortLeaderTransfer();
  return cs;
}

/**
 * Restores the log and configuration from a snapshot sent by the leader (§7). Returns false
 * when the snapshot is not newer than the commit index, when this node is not in its
 * configuration, or when the log already contains its last entry (then only the commit
 * index moves forward).
 */
export function restoreFromSnapshot(r: Raft, s: Snapshot): boolean {
  const { index, term, confState: cs } = s.metadata;
  if (index <= r.raftLog.committed) return false;
  if (r.state !== StateType.Follower) {
    // Defense in depth: only followers install snapshots.
    r.logger.warn(`${r.id} attempted to restore snapshot as leader; should never happen`);
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  const member = cs.voters.includes(r.id) || cs.learners.includes(r.id) || cs.votersOutgoing.includes(r.id);
  if (!member) {
    r.logger.warn(`${r.id} attempted to restore snapshot but it is not in the ConfState; should never happen`);
    return false;
  }
  if (r.raftLog.matchTerm(index, term)) {
    const last = r.raftLog.lastEntryId();
    r.logger.info(
      `${r.id} [commit: ${r.raftLog.committed}, lastindex: ${last.index}, lastterm: ${last.term}] fast-forwarded commit to snapshot [index: ${index}, term: ${term}]`,
    );
    r.raftLog.commitTo(index);
    return false;
  }
  r.raftLog.restore(s);
  r.trk = new ProgressTracker(r.trk.maxInflight, r.trk.maxInflightBytes);
  const restored = restoreConfig(new Changer(r.trk, r.raftLog.lastIndex()), cs);
  const got = switchToConfig(r, restored.config, restored.progress);
  if (!confStatesEquivalent(cs, got)) {
    throw new RaftInvariantError(`restored configuration does not match the snapshot's ConfState`);
  }
  const last = r.raftLog.lastEntryId();
  r.logger.info(
    `${r.id} [commit: ${r.raftLog.committed}, lastindex: ${last.index}, lastterm: ${last.term}] restored snapshot [index: ${index}, term: ${term}]`,
  );
  return true;
}

/**
 * Re-applies the conf changes of the entries after the storage's snapshot up to `applied`,
 * so a node restarted with `applied` has the configuration the application had then.
 *
 * @throws {@link RaftInvariantError} when `applied` is beyond the commit index or a conf
 * change entry cannot be decoded or applied.
 */
export function replayConfChanges(r: Raft, applied: number): void {
  const log = r.raftLog;
  if (applied > log.committed) {
    throw new RaftInvariantError(`${r.id} applied index ${applied} is beyond the commit index ${log.committed}`);
  }
  let lo = log.firstIndex();
  while (lo <= applied) {
    const ents = log.slice(lo, applied + 1, log.maxApplyingEntsSize);
    if (ents.length === 0) break;
    for (const e of ents) {
      if (e.type === EntryType.EntryNormal) continue;
      try {
        const cc = e.type === EntryType.EntryConfChange ? asV2(decodeConfChange(e.data)) : decodeConfChangeV2(e.data);
        r.applyConfChange(cc);
      } catch (err) {
        throw new RaftInvariantError(`${r.id} cannot replay the conf change at index ${e.index}: ${String(err)}`);
      }
    }
    lo += ents.length;
  }
}
