import { MajorityConfig } from './majority.js';
import { VoteResult, type AckedIndexer } from './vote-result.js';

/**
 * A joint configuration of two majority configs (etcd's `quorum.JointConfig`): the
 * incoming one (`C_new`) and the outgoing one (`C_old`) of thesis §4.3. A decision needs
 * a majority of each. When `outgoing` is empty the config is not joint and behaves
 * exactly like `incoming`.
 *
 * Invariant: an empty half is neutral: it commits `Infinity` and wins every vote.
 */
export class JointConfig {
  /** The incoming voters, `C_new`; the only half outside joint consensus. */
  incoming: MajorityConfig;
  /** The outgoing voters, `C_old`; empty unless the config is joint. */
  outgoing: MajorityConfig;

  /**
   * @param incoming - the incoming half (default: empty); kept by reference, not copied.
   * @param outgoing - the outgoing half (default: empty); kept by reference, not copied.
   */
  constructor(incoming?: MajorityConfig, outgoing?: MajorityConfig) {
    this.incoming = incoming ?? new MajorityConfig();
    this.outgoing = outgoing ?? new MajorityConfig();
  }

  /** The union of both halves' ids, as a new set. */
  ids(): Set<number> {
    const out = new Set<number>(this.incoming.ids);
    for (const id of this.outgoing.ids) out.add(id);
    return out;
  }

  /** Whether this is a joint configuration, that is, whether `outgoing` is non-empty. */
  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /**
   * The largest index acknowledged by a majority of both halves: the minimum of the two
   * halves' committed indexes. `Infinity` when both halves are empty. Allocation-free.
   */
  committedIndex(l: AckedIndexer): number {
    const a = this.incoming.committedIndex(l);
    const b = this.outgoing.committedIndex(l);
    return a < b ? a : b;
  }

  /**
   * Counts `votes` against both halves: won only if both halves win, lost if either half
   * loses, pending otherwise.
   */
  voteResult(votes: ReadonlyMap<number, boolean>): VoteResult {
    const r1 = this.incoming.voteResult(votes);
    const r2 = this.outgoing.voteResult(votes);
    if (r1 === r2) return r1;
    if (r1 === VoteResult.VoteLost || r2 === VoteResult.VoteLost) return VoteResult.VoteLost;
    return VoteResult.VotePending;
  }

  /** `(1 2 3)&&(1 2 4)` when joint, otherwise just the incoming half, for example `(1 2 3)`. */
  toString(): string {
    if (!this.isJoint()) return this.incoming.toString();
    return `${this.incoming.toString()}&&${this.outgoing.toString()}`;
  }

  /**
   * The {@link MajorityConfig.describe} table over the union of both halves' ids (etcd's
   * `JointConfig.Describe`).
   */
  describe(l: AckedIndexer): string {
    return new MajorityConfig(this.ids()).describe(l);
  }

  /** A deep copy: both halves are copied. */
  clone(): JointConfig {
    return new JointConfig(this.incoming.clone(), this.outgoing.clone());
  }
}
