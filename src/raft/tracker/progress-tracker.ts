import type { ConfState } from '../entry.js';
import { JointConfig } from '../quorum/joint.js';
import { VoteResult, type AckedIndexer } from '../quorum/vote-result.js';
import type { Progress } from './progress.js';

/**
 * A membership configuration as the leader tracks it (etcd's `tracker.Config`).
 *
 * Invariant: `learners` is disjoint from both halves of `voters`.
 * Invariant: every id in `learnersNext` is an outgoing voter; `learnersNext` is empty and
 * `autoLeave` is false unless `voters` is joint.
 */
export interface TrackerConfig {
  /** The voters: the incoming half, and during joint consensus the outgoing half too. */
  voters: JointConfig;
  /** Whether the joint configuration is left automatically once it is committed. */
  autoLeave: boolean;
  /** Learners: they receive the log but never vote. */
  learners: Set<number>;
  /**
   * Outgoing voters that become learners when the joint configuration is left. They can't
   * be learners yet: a peer is never a voter and a learner at the same time.
   */
  learnersNext: Set<number>;
}

/** Returns a new empty {@link TrackerConfig}: no voters, no learners, not joint. */
export function emptyTrackerConfig(): TrackerConfig {
  return { voters: new JointConfig(), autoLeave: false, learners: new Set(), learnersNext: new Set() };
}

/** Returns a deep copy of `c` (new majority configs and sets). */
export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: c.voters.clone(),
    autoLeave: c.autoLeave,
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
  };
}

function formatIds(ids: Iterable<number>): string {
  return `(${[...ids].sort((a, b) => a - b).join(' ')})`;
}

/**
 * Formats a config as etcd's `Config.String()`, for example
 * `voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave`; the learner parts
 * appear only when non-empty, `autoleave` only when set.
 */
export function describeTrackerConfig(c: TrackerConfig): string {
  let s = `voters=${c.voters.toString()}`;
  if (c.learners.size > 0) s += ` learners=${formatIds(c.learners)}`;
  if (c.learnersNext.size > 0) s += ` learners_next=${formatIds(c.learnersNext)}`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

/** The leader's progress per peer id, voters and learners alike. */
export type ProgressMap = Map<number, Progress>;

/**
 * The leader's view of the membership and of every peer's progress, plus the votes of
 * the current election (etcd's `tracker.ProgressTracker`).
 *
 * `config` and `progress` are plain fields: after a conf change, assign the
 * `Changer`'s result to both (`trk.config = cfg; trk.progress = prs;`). Entries of
 * `progress` may also be set or deleted in place. {@link ProgressTracker.visit} caches the
 * sorted id list and revalidates it on each call (same map object, same size, every cached
 * id still present), so all of these are noticed without explicit invalidation.
 *
 * Invariant: `progress` has exactly one entry per voter (either half), learner and
 * staged learner of `config`.
 */
export class ProgressTracker {
  /** The current membership. */
  config: TrackerConfig;
  /** The progress of every peer in `config`. */
  progress: ProgressMap;
  /** The votes received in the current election: id → granted. */
  votes: Map<number, boolean>;
  /** The in-flight message limit for each new peer's `Inflights`. */
  readonly maxInflight: number;
  /** The in-flight byte limit for each new peer's `Inflights` (`Infinity` = none). */
  readonly maxInflightBytes: number;

  private idsCache: number[] = [];
  private idsCacheMap: ProgressMap | undefined;
  private readonly matchIndexer: AckedIndexer;

  /**
   * @param maxInflight - the in-flight message limit per peer.
   * @param maxInflightBytes - the in-flight byte limit per peer; `Infinity` for none.
   */
  constructor(maxInflight: number, maxInflightBytes: number) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
    this.config = emptyTrackerConfig();
    this.progress = new Map();
    this.votes = new Map();
    // One closure for the tracker's lifetime; it reads `this.progress` at call time.
    this.matchIndexer = (id) => this.progress.get(id)?.match;
  }

  /**
   * Installs a new membership and progress map, typically a `Changer` result. Equivalent
   * to assigning both fields; provided so the switch reads as one step.
   */
  applyConfig(config: TrackerConfig, progress: ProgressMap): void {
    this.config = config;
    this.progress = progress;
  }

  /** The current membership as a {@link ConfState}, with every id list sorted. */
  confState(): ConfState {
    const v = this.config.voters;
    return {
      voters: v.incoming.slice(),
      votersOutgoing: v.outgoing.slice(),
      learners: [...this.config.learners].sort((a, b) => a - b),
      learnersNext: [...this.config.learnersNext].sort((a, b) => a - b),
      autoLeave: this.config.autoLeave,
    };
  }

  /** Whether there is exactly one voter and the config is not joint. */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && !this.config.voters.isJoint();
  }

  /**
   * The highest index replicated (`match`) on a quorum of the voters. A voter without a
   * progress entry counts as 0. Allocation-free: it runs on every append response.
   */
  committed(): number {
    return this.config.voters.committedIndex(this.matchIndexer);
  }

  /**
   * Calls `f` for every peer in ascending id order (deterministic, unlike iterating the
   * map). `f` may replace or delete entries of `progress`; peers deleted before their turn
   * are skipped and peers added during the visit are not visited.
   */
  visit(f: (id: number, pr: Progress) => void): void {
    const ids = this.sortedIds();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const pr = this.progress.get(id);
      if (pr !== undefined) f(id, pr);
    }
  }

  /**
   * Whether the recently active voters form a quorum (learners do not count). The leader
   * calls this on every check-quorum round.
   */
  quorumActive(): boolean {
    const votes = new Map<number, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return this.config.voters.voteResult(votes) === VoteResult.VoteWon;
  }

  /** The voters of both halves, sorted. */
  voterNodes(): number[] {
    return [...this.config.voters.ids()].sort((a, b) => a - b);
  }

  /** The learners, sorted (staged learners in `learnersNext` are not included). */
  learnerNodes(): number[] {
    return [...this.config.learners].sort((a, b) => a - b);
  }

  /** Forgets the votes of the previous election. */
  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records `id`'s vote; the first vote recorded for an id in an election wins. */
  recordVote(id: number, v: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, v);
  }

  /**
   * Counts the recorded votes of peers that are not learners, and the election's outcome
   * under the current voter config.
   */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }

  /**
   * The ids of `progress` in ascending order, cached. The cache is valid while `progress`
   * is the same map object with the same size and every cached id is still in it, which
   * together mean the key set is unchanged. The returned array is never modified in place.
   */
  private sortedIds(): readonly number[] {
    const m = this.progress;
    const cached = this.idsCache;
    if (this.idsCacheMap === m && cached.length === m.size) {
      let same = true;
      for (let i = 0; i < cached.length && same; i++) same = m.has(cached[i]!);
      if (same) return cached;
    }
    const ids = [...m.keys()].sort((a, b) => a - b);
    this.idsCache = ids;
    this.idsCacheMap = m;
    return ids;
  }
}
