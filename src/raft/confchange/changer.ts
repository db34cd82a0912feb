import { ConfChangeType, type ConfChangeSingle } from '../conf-change.js';
import { ConfigInvalidError } from '../errors.js';
import { MajorityConfig } from '../quorum/majority.js';
import { Inflights } from '../tracker/inflights.js';
import { Progress } from '../tracker/progress.js';
import { cloneTrackerConfig, type ProgressMap, type TrackerConfig } from '../tracker/progress-tracker.js';

/** The result of a successful configuration change: the new membership and progress map. */
export interface ChangeResult {
  /** The new membership. */
  config: TrackerConfig;
  /** The progress of every peer of `config`. */
  progress: ProgressMap;
}

/**
 * What a {@link Changer} reads from the tracker: the current membership and progress and
 * the in-flight limits for new peers. A `ProgressTracker` satisfies it.
 */
export interface ChangerBase {
  /** The current membership. */
  readonly config: TrackerConfig;
  /** The current progress map. */
  readonly progress: ProgressMap;
  /** The in-flight message limit for new peers. */
  readonly maxInflight: number;
  /** The in-flight byte limit for new peers. */
  readonly maxInflightBytes: number;
}

/**
 * A mutable working copy of a configuration. The progress map is a new map whose values
 * are shared with the input until they must change: `own()` clones a
 * {@link Progress} the first time it is modified, so the input is never touched.
 */
interface Working {
  cfg: TrackerConfig;
  prs: ProgressMap;
  /** Ids whose Progress in `prs` is this working copy's own (cloned or created). */
  owned: Set<number>;
}

/**
 * Validates and carries out membership changes (etcd's `confchange.Changer`). Each method
 * works on copies of the tracker's config and progress and returns the new ones, or
 * throws {@link ConfigInvalidError}; the tracker passed in is never modified, and a
 * progress object that changes is cloned first. The caller installs the result.
 *
 * By convention, changes to voters are made to the incoming half; the outgoing half is
 * either empty or the frozen pre-change voters of a joint configuration (thesis §4.3).
 */
export class Changer {
  /** The configuration the changes start from. */
  readonly tracker: ChangerBase;
  /** The leader's last log index; new peers start probing from `max(lastIndex, 1)`. */
  readonly lastIndex: number;

  /**
   * @param tracker - the current configuration (usually the `ProgressTracker`); read only.
   * @param lastIndex - the last index of the log.
   */
  constructor(tracker: ChangerBase, lastIndex: number) {
    this.tracker = tracker;
    this.lastIndex = lastIndex;
  }

  /**
   * Enters a joint configuration: copies the incoming voters into the (empty) outgoing
   * half, `(1 2 3)&&()` → `(1 2 3)&&(1 2 3)`, then applies `ccs` to the incoming half,
   * yielding `C_{new,old}`. `autoLeave` records whether Raft leaves it on its own.
   *
   * @throws {@link ConfigInvalidError} when already joint, when there are no voters, or
   * when the changes are invalid.
   */
  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ChangeResult {
    const w = this.checkAndCopy();
    if (w.cfg.voters.isJoint()) throw new ConfigInvalidError('config is already joint');
    if (w.cfg.voters.incoming.size === 0) {
      // An empty config may be built up change by change (bootstrap), but never made joint.
      throw new ConfigInvalidError("can't make a zero-voter config joint");
    }
    w.cfg.voters.outgoing = w.cfg.voters.incoming.clone();
    this.apply(w, ccs);
    w.cfg.autoLeave = autoLeave;
    return checkAndReturn(w);
  }

  /**
   * Leaves the joint configuration: the outgoing half is dropped, `C_{new,old}` →
   * `C_new`. Staged learners (`learnersNext`) become learners, peers that are now neither
   * voters nor learners lose their progress, and `autoLeave` is cleared.
   *
   * @throws {@link ConfigInvalidError} when the config is not joint.
   */
  leaveJoint(): ChangeResult {
    const w = this.checkAndCopy();
    const { cfg } = w;
    if (!cfg.voters.isJoint()) throw new ConfigInvalidError("can't leave a non-joint config");
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      own(w, id).isLearner = true;
    }
    cfg.learnersNext.clear();
    for (const id of cfg.voters.outgoing.ids) {
      if (!cfg.voters.incoming.has(id) && !cfg.learners.has(id)) w.prs.delete(id);
    }
    cfg.voters.outgoing = new MajorityConfig();
    cfg.autoLeave = false;
    return checkAndReturn(w);
  }

  /**
   * Applies `ccs` without joint consensus. Taken together they may change the voters by
   * at most one (added, removed, or turned into / from a learner).
   *
   * @throws {@link ConfigInvalidError} when the config is joint, when more than one voter
   * changes, when no voter would remain, or when a change is invalid.
   */
  simple(ccs: readonly ConfChangeSingle[]): ChangeResult {
    const w = this.checkAndCopy();
    if (w.cfg.voters.isJoint()) throw new ConfigInvalidError("can't apply simple config change in joint config");
    this.apply(w, ccs);
    if (symdiff(this.tracker.config.voters.incoming, w.cfg.voters.incoming) > 1) {
      throw new ConfigInvalidError('more than one voter changed without entering joint config');
    }
    return checkAndReturn(w);
  }

  /** Applies the changes in order to the incoming half; node id 0 means "skip". */
  private apply(w: Working, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      // The application zeroes the node id of a change it decided not to apply.
      if (cc.nodeId === 0) continue;
      switch (cc.type) {
        case ConfChangeType.ConfChangeAddNode:
          this.makeVoter(w, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeAddLearnerNode:
          this.makeLearner(w, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeRemoveNode:
          remove(w, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeUpdateNode:
          break;
        default:
          throw new ConfigInvalidError(`unexpected conf type ${String((cc as { type: unknown }).type)}`);
      }
    }
    if (w.cfg.voters.incoming.size === 0) throw new ConfigInvalidError('removed all voters');
  }

  /** Adds `id` as an incoming voter, or promotes it from learner (or staged learner). */
  private makeVoter(w: Working, id: number): void {
    const pr = w.prs.get(id);
    if (pr === undefined) {
      this.initProgress(w, id, false);
      return;
    }
    if (pr.isLearner) own(w, id).isLearner = false;
    w.cfg.learners.delete(id);
    w.cfg.learnersNext.delete(id);
    w.cfg.voters.incoming.ids.add(id);
  }

  /**
   * Adds `id` as a learner or demotes a voter. An outgoing voter can't be a learner while
   * the config is joint, so it is staged in `learnersNext` and becomes a learner on
   * {@link Changer.leaveJoint}.
   */
  private makeLearner(w: Working, id: number): void {
    const pr = w.prs.get(id);
    if (pr === undefined) {
      this.initProgress(w, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Remove it as a voter, but keep its progress.
    remove(w, id);
    w.prs.set(id, pr);
    if (w.cfg.voters.outgoing.has(id)) {
      w.cfg.learnersNext.add(id);
    } else {
      own(w, id).isLearner = true;
      w.cfg.learners.add(id);
    }
  }

  /** Creates the progress of a new peer and adds it as a voter or learner. */
  private initProgress(w: Working, id: number, isLearner: boolean): void {
    if (isLearner) w.cfg.learners.add(id);
    else w.cfg.voters.incoming.ids.add(id);
    w.prs.set(
      id,
      new Progress({
        // Probing starts at the last index: optimistic, but the follower's rejection
        // hint corrects it in one round trip.
        match: 0,
        next: Math.max(this.lastIndex, 1),
        inflights: new Inflights(this.tracker.maxInflight, this.tracker.maxInflightBytes),
        isLearner,
        // A new peer counts as active, so that check-quorum does not depose the leader
        // before the peer had a chance to answer.
        recentActive: true,
      }),
    );
    w.owned.add(id);
  }

  /** Copies the tracker's config and progress map after checking their invariants. */
  private checkAndCopy(): Working {
    checkInvariants(this.tracker.config, this.tracker.progress);
    return {
      cfg: cloneTrackerConfig(this.tracker.config),
      prs: new Map(this.tracker.progress),
      owned: new Set(),
    };
  }
}

/** Returns `id`'s progress in the working copy, cloning it first if it is still shared. */
function own(w: Working, id: number): Progress {
  const pr = w.prs.get(id);
  if (pr === undefined) throw new ConfigInvalidError(`no progress for ${id}`);
  if (w.owned.has(id)) return pr;
  const copy = pr.clone();
  w.prs.set(id, copy);
  w.owned.add(id);
  return copy;
}

/** Removes `id` as an incoming voter or learner; its progress stays while it is an outgoing voter. */
function remove(w: Working, id: number): void {
  if (!w.prs.has(id)) return;
  w.cfg.voters.incoming.ids.delete(id);
  w.cfg.learners.delete(id);
  w.cfg.learnersNext.delete(id);
  if (!w.cfg.voters.outgoing.has(id)) w.prs.delete(id);
}

function checkAndReturn(w: Working): ChangeResult {
  checkInvariants(w.cfg, w.prs);
  return { config: w.cfg, progress: w.prs };
}

/**
 * Checks that a config and progress map fit together: every member has progress,
 * staged learners are outgoing voters not yet marked as learners, learners are no voters
 * and are marked as learners, and a non-joint config has no staged learners and no
 * auto-leave. The empty config is allowed (it is where bootstrap starts).
 *
 * @throws {@link ConfigInvalidError} naming the first broken rule.
 */
export function checkInvariants(cfg: TrackerConfig, prs: ReadonlyMap<number, Progress>): void {
  for (const ids of [cfg.voters.incoming.ids, cfg.voters.outgoing.ids, cfg.learners, cfg.learnersNext]) {
    for (const id of ids) {
      if (!prs.has(id)) throw new ConfigInvalidError(`no progress for ${id}`);
    }
  }
  for (const id of cfg.learnersNext) {
    if (!cfg.voters.outgoing.has(id)) throw new ConfigInvalidError(`${id} is in LearnersNext, but not Voters[1]`);
    if (prs.get(id)!.isLearner) {
      throw new ConfigInvalidError(`${id} is in LearnersNext, but is already marked as learner`);
    }
  }
  for (const id of cfg.learners) {
    if (cfg.voters.outgoing.has(id)) throw new ConfigInvalidError(`${id} is in Learners and Voters[1]`);
    if (cfg.voters.incoming.has(id)) throw new ConfigInvalidError(`${id} is in Learners and Voters[0]`);
    if (!prs.get(id)!.isLearner) throw new ConfigInvalidError(`${id} is in Learners, but is not marked as learner`);
  }
  if (!cfg.voters.isJoint()) {
    if (cfg.learnersNext.size > 0) throw new ConfigInvalidError('cfg.LearnersNext must be empty when not joint');
    if (cfg.autoLeave) throw new ConfigInvalidError('AutoLeave must be false when not joint');
  }
}

/** The size of the symmetric difference of two id sets. */
function symdiff(a: MajorityConfig, b: MajorityConfig): number {
  let n = 0;
  for (const id of a.ids) if (!b.has(id)) n++;
  for (const id of b.ids) if (!a.has(id)) n++;
  return n;
}
