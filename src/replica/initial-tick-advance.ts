/**
 * etcd's `adjustTicks` (`--initial-election-tick-advance`): how many election ticks a member
 * counts as already elapsed when it starts, so that its first campaign comes up to an election
 * timeout sooner.
 * @module
 */

/** The voters of the configuration a member runs with. */
export interface StartVoters {
  voters: readonly number[];
  votersOutgoing: readonly number[];
}

/** The options the advance reads. */
export interface TickAdvanceOptions {
  initialElectionTickAdvance: boolean | 'lone-voter';
  tickMs: number;
  electionMs: number;
}

/**
 * The ticks to have counted at start (see `ReplicaOptions.initialElectionTickAdvance`):
 * - its cluster's only voter: one short of the election timeout, as etcd at every start;
 * - a voter of a larger cluster, when `guarded` (PreVote and CheckQuorum on): two short of it, as
 *   etcd once its peers' connections are up. raftkit's transports connect when they have a
 *   message, so there is no such report to wait for; what etcd's wait protects, a leader not
 *   unseated by a member that campaigns before hearing from it, PreVote with CheckQuorum
 *   guarantees (a member that heard from its leader within an election timeout refuses the
 *   pre-vote, and a failed pre-vote raises no term). Unguarded, nothing is advanced;
 * - a learner, a member of a larger cluster with the option `'lone-voter'`, or any with it off: none.
 */
export function initialTickAdvance(opts: TickAdvanceOptions, config: StartVoters, id: number, guarded: boolean): number {
  if (opts.initialElectionTickAdvance === false) return 0;
  const electionTicks = Math.round(opts.electionMs / opts.tickMs);
  const { voters, votersOutgoing } = config;
  if (voters.length === 1 && voters[0] === id && votersOutgoing.length === 0) return electionTicks - 1;
  if (opts.initialElectionTickAdvance === true && guarded && (voters.includes(id) || votersOutgoing.includes(id))) return Math.max(0, electionTicks - 2);
  return 0;
}

/**
 * The advance of one start. A restarted member learns its configuration as it applies its log
 * again, so the advance waits until the member has applied what was committed at start, then
 * tops up the ticks counted since to {@link initialTickAdvance}'s.
 */
export class StartTickAdvance {
  readonly #opts: TickAdvanceOptions;
  readonly #id: number;
  readonly #guarded: boolean;
  readonly #startCommit: number;
  #done: boolean;
  #ticksSince = 0;

  /** Whether the advance has been made (or there is none to make): later ticks need not ask. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * @param opts - the replica's options.
   * @param id - the member.
   * @param guarded - PreVote and CheckQuorum are both on.
   * @param startCommit - the commit index the member starts with.
   */
  constructor(opts: TickAdvanceOptions, id: number, guarded: boolean, startCommit: number) {
    this.#opts = opts;
    this.#id = id;
    this.#guarded = guarded;
    this.#startCommit = startCommit;
    this.#done = opts.initialElectionTickAdvance === false;
  }

  /**
   * Called at each tick, before it is counted: the extra ticks to count first. 0 until `applied`
   * reaches the start's commit index; then, once, the advance less the ticks counted since the
   * start; then 0.
   */
  extraTicks(applied: number, config: () => StartVoters): number {
    if (this.#done) return 0;
    if (applied < this.#startCommit) {
      this.#ticksSince++;
      return 0;
    }
    this.#done = true;
    return Math.max(0, initialTickAdvance(this.#opts, config(), this.#id, this.#guarded) - this.#ticksSince);
  }
}
