import type { ResolvedConfig } from './config.js';
import { leaveJoint, enterJoint, type ConfChangeV2 } from './conf-change.js';
import { Changer, restore as restoreConfig } from './confchange/index.js';
import { EntryType, EMPTY_BYTES, isEmptyHardState, payloadsSize, type ConfState, type Entry, type HardState } from './entry.js';
import { RaftInvariantError } from './errors.js';
import { RaftLog } from './log.js';
import type { Logger } from './logger.js';
import { MessageType, MessageTypeName, createMessage, type Message } from './messages.js';
import { ReadOnly } from './read-only.js';
import { StateType, type ReadState, type SoftState } from './ready.js';
import type { Rng } from './rng.js';
import { Inflights, Progress, ProgressTracker, type ProgressMap, type TrackerConfig } from './tracker/index.js';
import { handleVoteRequest, stepByTerm } from './step-term.js';
import { stepLeader } from './step-leader.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { replayConfChanges, switchToConfig } from './membership.js';
import { hup } from './election.js';
import { NONE } from './constants.js';

/** The kinds of campaign: a PreVote round, a real election, or one forced by a leadership transfer. */
export type CampaignType = 'pre-election' | 'election' | 'transfer';


/** A role's message handler; it may throw a typed error (such as a dropped proposal). */
export type StepFn = (r: Raft, m: Message) => void;


/**
 * The internal Raft state machine (etcd's `raft` struct). It owns the fields and the role
 * transitions (`becomeX`), the timers (`tickX`) and the term checks of `step`; the per-role
 * message handlers live in step-leader.ts, step-candidate.ts and step-follower.ts.
 *
 * @internal
 */
export class Raft {
  readonly id: number;
  term = 0;
  vote = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  trk: ProgressTracker;
  state: StateType = StateType.Follower;
  isLearner = false;
  /** Messages that can be sent at once. */
  msgs: Message[] = [];
  /** Messages to send (or step, if addressed to self) only after the current writes are durable. */
  msgsAfterAppend: Message[] = [];
  lead = NONE;
  /** The id of the leadership transfer target, or 0 when no transfer is in progress. */
  leadTransferee = NONE;
  /** Only one conf change may be pending (in the log but not applied) at a time. */
  pendingConfIndex = 0;
  /** Leader: per follower, the last index of entries it forwarded that this leader has not yet acknowledged to it (see leader-ack.ts). */
  readonly forwarded = new Map<number, number>();
  /** Leader: the highest index it acknowledged to such a follower in this term; reads wait for it (see read-index.ts). */
  leaderAcked = 0;
  /** Follower: the highest index the leader of this term acknowledged holding durably (see leader-ack.ts). */
  leaderDurable = 0;
  /**
   * The highest index at which a conf change may sit in this node's log: that of the last one a
   * follower appended, or the last index when the node started or stopped leading (its own
   * proposals are not seen arriving). Only ever raised; a follower counts a quorum itself only
   * when this is applied (see leader-ack.ts).
   */
  confIndexSeen = 0;
  /** Payload bytes of uncommitted entries on the leader (an estimate; see etcd). */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** Ticks since the last election timeout reset (followers/candidates) or quorum check (leaders). */
  electionElapsed = 0;
  /** Ticks since the last heartbeat (leaders only). */
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** A random number in `[electionTimeout, 2 * electionTimeout)`, redrawn on every reset. */
  randomizedElectionTimeout = 0;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  /** Read requests received before this leader committed an entry in its term. */
  pendingReadIndexMessages: Message[] = [];
  readonly logger: Logger;
  private readonly rng: Rng;
  private stepFn: StepFn = stepFollower;
  private tickFn: () => void;

  constructor(c: ResolvedConfig) {
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.logger, c.maxCommittedSizePerReady);
    this.maxMsgSize = c.maxSizePerMsg;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize;
    this.trk = new ProgressTracker(c.maxInflightMsgs, c.maxInflightBytes);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.logger = c.logger;
    this.rng = c.rng;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.readOnly = new ReadOnly(c.readOnlyOption);
    this.disableProposalForwarding = c.disableProposalForwarding;
    this.stepDownOnRemoval = c.stepDownOnRemoval;
    this.tickFn = () => this.tickElection();

    const { hardState, confState } = c.storage.initialState();
    const restored = restoreConfig(new Changer(this.trk, this.raftLog.lastIndex()), confState);
    switchToConfig(this, restored.config, restored.progress);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    this.confIndexSeen = this.raftLog.lastIndex();
    if (c.applied > 0) {
      // The storage's ConfState is as of its snapshot: re-apply the conf changes the
      // application applied after it, so the configuration is the one as of `applied`.
      replayConfChanges(this, c.applied);
      this.raftLog.appliedTo(c.applied, 0);
    }
    this.becomeFollower(this.term, NONE);
    const last = this.raftLog.lastEntryId();
    this.logger.info(
      `newRaft ${this.id} [peers: [${this.trk.voterNodes().join(',')}], term: ${this.term}, commit: ${this.raftLog.committed}, applied: ${this.raftLog.applied}, lastindex: ${last.index}, lastterm: ${last.term}]`,
    );
  }

  /** The soft state (leader and role). */
  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  /** The hard state (term, vote, commit). */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private loadState(st: HardState): void {
    if (st.commit < this.raftLog.committed || st.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `${this.id} state.commit ${st.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = st.commit;
    this.term = st.term;
    this.vote = st.vote;
  }

  /**
   * Queues a message for sending, filling in `from` and the term. Vote messages carry their
   * own term; proposals and read requests are forwarded without a term (they are treated as
   * local messages by the leader).
   */
  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === MessageType.MsgVote || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVote || t === MessageType.MsgPreVoteResp) {
      if (m.term === 0) throw new RaftInvariantError(`term should be set when sending ${MessageTypeName[t]}`);
    } else {
      if (m.term !== 0) throw new RaftInvariantError(`term should not be set when sending ${MessageTypeName[t]} (was ${m.term})`);
      if (t !== MessageType.MsgProp && t !== MessageType.MsgReadIndex) m.term = this.term;
    }
    if (t === MessageType.MsgAppResp || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVoteResp) {
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id) throw new RaftInvariantError(`message should not be self-addressed when sending ${MessageTypeName[t]}`);
      this.msgs.push(m);
    }
  }

  /** Advances the node's timers by one tick. */
  tick(): void {
    this.tickFn();
  }

  /** Whether the election timer has run out (followers and candidates). */
  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.rng.nextInt(this.electionTimeout);
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.stepLocal(createMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.stepLocal(createMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned (thesis §3.10).
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.stepLocal(createMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  /** Steps a message generated by a timer; errors are logged, not thrown. */
  private stepLocal(m: Message): void {
    try {
      this.step(m);
    } catch (err) {
      this.logger.debug(`error occurred during ${MessageTypeName[m.type]}: ${String(err)}`);
    }
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    const trk = this.trk;
    trk.visit((id, pr) => {
      trk.progress.set(
        id,
        new Progress({
          match: id === this.id ? last : 0,
          next: last + 1,
          inflights: new Inflights(trk.maxInflight, trk.maxInflightBytes),
          isLearner: pr.isLearner,
        }),
      );
    });
    this.pendingConfIndex = 0;
    this.forwarded.clear();
    this.leaderAcked = 0;
    this.leaderDurable = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
  }

  /** Becomes a follower of `lead` (0 when unknown) in `term`. */
  becomeFollower(term: number, lead: number): void {
    if (this.state === StateType.Leader) this.confIndexSeen = Math.max(this.confIndexSeen, this.raftLog.lastIndex());
    this.stepFn = stepFollower;
    this.reset(term);
    this.tickFn = () => this.tickElection();
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger.info(`${this.id} became follower at term ${this.term}`);
  }

  /** Becomes a candidate: a new term, voting for itself (§5.2). */
  becomeCandidate(): void {
    if (this.state === StateType.Leader) throw new RaftInvariantError('invalid transition [leader -> candidate]');
    this.stepFn = stepCandidate;
    this.reset(this.term + 1);
    this.tickFn = () => this.tickElection();
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  /** Becomes a pre-candidate: same term and vote, collecting PreVotes (thesis §9.6). */
  becomePreCandidate(): void {
    if (this.state === StateType.Leader) throw new RaftInvariantError('invalid transition [leader -> pre-candidate]');
    this.stepFn = stepCandidate;
    this.trk.resetVotes();
    this.tickFn = () => this.tickElection();
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  /** Becomes leader and appends an empty entry of the new term (§5.4.2, thesis §6.4). */
  becomeLeader(): void {
    if (this.state === StateType.Follower) throw new RaftInvariantError('invalid transition [follower -> leader]');
    this.stepFn = stepLeader;
    this.reset(this.term);
    this.tickFn = () => this.tickHeartbeat();
    this.lead = this.id;
    this.state = StateType.Leader;
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined) {
      pr.becomeReplicate();
      pr.recentActive = true;
    }
    // Any conf change in the uncommitted tail must be applied before another is accepted.
    this.pendingConfIndex = this.raftLog.lastIndex();
    const empty: Entry = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES };
    if (!this.appendEntry([empty])) throw new RaftInvariantError('empty entry was dropped');
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  /**
   * Steps a message: handles the term (stepping down on a higher term, rejecting or
   * ignoring a lower one), elections and votes, then the role's handler.
   */
  step(m: Message): void {
    if (!stepByTerm(this, m)) return;
    switch (m.type) {
      case MessageType.MsgHup:
        hup(this, this.preVote ? 'pre-election' : 'election');
        return;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        handleVoteRequest(this, m);
        return;
      default:
        this.stepFn(this, m);
    }
  }

  /** Whether this node may become leader: it is a voter and is not installing a snapshot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasNextOrInProgressSnapshot();
  }

  /**
   * Appends copies of the proposed entries, stamped with the current term and the next
   * indexes, to the leader's log. Returns false when the
   * uncommitted size limit drops them. The leader acknowledges its own append once the
   * entries are durable (the self-addressed `MsgAppResp` is stepped on advance).
   */
  appendEntry(proposed: readonly Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    // Fresh entry objects: the proposal's entries belong to the caller (a message may be
    // delivered twice), and entries in the log are never mutated.
    const es: Entry[] = new Array<Entry>(proposed.length);
    for (let i = 0; i < proposed.length; i++) {
      const p = proposed[i]!;
      es[i] = { term: this.term, index: li + 1 + i, type: p.type, data: p.data };
    }
    if (!this.increaseUncommittedSize(es)) {
      this.logger.warn(`${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    const last = this.raftLog.append(es);
    this.send(createMessage({ type: MessageType.MsgAppResp, to: this.id, index: last }));
    return true;
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    // An empty uncommitted tail accepts any proposal; empty entries are always accepted.
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  /** Releases uncommitted-size budget once entries are applied. */
  reduceUncommittedSize(s: number): void {
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  /** Commits what a quorum has replicated, counting only current-term entries (§5.4.2). */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit({ index: this.trk.committed(), term: this.term });
  }

  /** Cancels a leadership transfer in progress. */
  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /**
   * Records that the application applied up to `index`; a leader in an auto-leave joint
   * configuration proposes leaving it once the entry that entered it is applied.
   */
  appliedTo(index: number, size: number): void {
    const newApplied = Math.max(index, this.raftLog.applied);
    this.raftLog.appliedTo(newApplied, size);
    if (this.trk.config.autoLeave && newApplied >= this.pendingConfIndex && this.state === StateType.Leader) {
      const m = createMessage({
        type: MessageType.MsgProp,
        from: this.id,
        entries: [{ term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: EMPTY_BYTES }],
      });
      try {
        this.step(m);
        this.logger.info(`initiating automatic transition out of joint configuration ${this.trk.config.voters.toString()}`);
      } catch (err) {
        this.logger.debug(`not initiating automatic transition out of joint configuration: ${String(err)}`);
      }
    }
  }

  /** Applies a conf change that the application found in a committed entry; returns the new ConfState. */
  applyConfChange(cc: ConfChangeV2): ConfState {
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    let res: { config: TrackerConfig; progress: ProgressMap };
    if (leaveJoint(cc)) res = changer.leaveJoint();
    else {
      const joint = enterJoint(cc);
      res = joint !== undefined ? changer.enterJoint(joint.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return switchToConfig(this, res.config, res.progress);
  }
}

