import { Inflights, Progress, ProgressState } from '../../../src/raft/tracker/index.js';

/** Options for {@link makeProgress}; unspecified fields keep the constructor's defaults. */
export interface ProgressSpec {
  state?: ProgressState;
  match: number;
  next: number;
  sentCommit?: number;
  pendingSnapshot?: number;
  paused?: boolean;
  isLearner?: boolean;
  recentActive?: boolean;
  size?: number;
  maxBytes?: number;
}

/** Builds a Progress in any state without going through transitions. */
export function makeProgress(s: ProgressSpec): Progress {
  const pr = new Progress({
    match: s.match,
    next: s.next,
    inflights: new Inflights(s.size ?? 256, s.maxBytes ?? Infinity),
    isLearner: s.isLearner ?? false,
    recentActive: s.recentActive ?? true,
  });
  pr.state = s.state ?? ProgressState.StateProbe;
  pr.sentCommit = s.sentCommit ?? 0;
  pr.pendingSnapshot = s.pendingSnapshot ?? 0;
  pr.msgAppFlowPaused = s.paused ?? false;
  return pr;
}
