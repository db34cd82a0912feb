import type { ConfState } from './entry.js';
import type { Raft } from './raft.js';
import { StateType } from './ready.js';
import { ProgressState } from './tracker/index.js';

/** A snapshot of one follower's progress, as the leader sees it. */
export interface ProgressStatus {
  /** The highest index known to be replicated on the peer. */
  match: number;
  /** The next index to send to the peer. */
  next: number;
  /** The replication state: `'probe'`, `'replicate'` or `'snapshot'`. */
  state: 'probe' | 'replicate' | 'snapshot';
  /** The snapshot index being sent, in `'snapshot'` state. */
  pendingSnapshot: number;
  /** Whether the peer was heard from since the last quorum check. */
  recentActive: boolean;
  /** Whether sending to the peer is paused by flow control. */
  paused: boolean;
  /** The number of append messages in flight. */
  inflight: number;
  /** Whether the peer is a learner. */
  isLearner: boolean;
}

/** The state of a node, as returned by `RaftNode.status()`. */
export interface Status {
  /** This node's id. */
  id: number;
  /** The current term. */
  term: number;
  /** The node voted for in this term, or 0. */
  vote: number;
  /** The commit index. */
  commit: number;
  /** The applied index. */
  applied: number;
  /** The leader's id, or 0 when unknown. */
  lead: number;
  /** This node's role. */
  raftState: StateType;
  /** The leadership transfer target, or 0. */
  leadTransferee: number;
  /** The current configuration. */
  config: ConfState;
  /** The per-peer progress; present only on the leader. */
  progress?: Map<number, ProgressStatus> | undefined;
}

const stateName = {
  [ProgressState.StateProbe]: 'probe',
  [ProgressState.StateReplicate]: 'replicate',
  [ProgressState.StateSnapshot]: 'snapshot',
} as const;

/** Builds a {@link Status} from the internal state. */
export function getStatus(r: Raft): Status {
  const s: Status = {
    id: r.id,
    term: r.term,
    vote: r.vote,
    commit: r.raftLog.committed,
    applied: r.raftLog.applied,
    lead: r.lead,
    raftState: r.state,
    leadTransferee: r.leadTransferee,
    config: r.trk.confState(),
  };
  if (r.state === StateType.Leader) {
    const progress = new Map<number, ProgressStatus>();
    r.trk.visit((id, pr) => {
      progress.set(id, {
        match: pr.match,
        next: pr.next,
        state: stateName[pr.state],
        pendingSnapshot: pr.pendingSnapshot,
        recentActive: pr.recentActive,
        paused: pr.isPaused(),
        inflight: pr.inflights.count(),
        isLearner: pr.isLearner,
      });
    });
    s.progress = progress;
  }
  return s;
}
