import { JointConfig, MajorityConfig } from '../../../src/raft/quorum/index.js';
import { Inflights, Progress, ProgressTracker, type TrackerConfig } from '../../../src/raft/tracker/index.js';

/** A tracker with the given voters (incoming/outgoing) and learners, each with a fresh Progress. */
export function makeTracker(opts: {
  voters: number[];
  outgoing?: number[];
  learners?: number[];
  learnersNext?: number[];
  autoLeave?: boolean;
  match?: Record<number, number>;
}): ProgressTracker {
  const trk = new ProgressTracker(10, Infinity);
  const cfg: TrackerConfig = {
    voters: new JointConfig(new MajorityConfig(opts.voters), new MajorityConfig(opts.outgoing ?? [])),
    autoLeave: opts.autoLeave ?? false,
    learners: new Set(opts.learners ?? []),
    learnersNext: new Set(opts.learnersNext ?? []),
  };
  const prs = new Map<number, Progress>();
  const learners = new Set(opts.learners ?? []);
  for (const id of [...cfg.voters.ids(), ...learners]) {
    prs.set(
      id,
      new Progress({
        match: opts.match?.[id] ?? 0,
        next: (opts.match?.[id] ?? 0) + 1,
        inflights: new Inflights(10, Infinity),
        isLearner: learners.has(id),
      }),
    );
  }
  trk.config = cfg;
  trk.progress = prs;
  return trk;
}
