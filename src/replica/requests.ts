import type { AnyConfChange, ConfChange } from '../raft/conf-change.js';
import { EMPTY_BYTES, EntryType, type Entry } from '../raft/entry.js';
import { ProposalDroppedError } from '../raft/errors.js';
import type { RaftNode } from '../raft/raft-node.js';
import type { ReadState } from '../raft/ready.js';
import type { ProgressStatus } from '../raft/status.js';
import type { Clock } from './clock.js';
import { confChangeContext, decodeEnvelope, encodeAddress, encodeEnvelope, ownSeqOf, type Envelope } from './envelope.js';
import { AbortedError, NotLeaderError, RequestTooLargeError, StoppedError } from './errors.js';
import { checkReconfig, type ReconfigView } from './membership.js';
import { checkJointReconfig, toConfChangeV2, type MemberChange } from './joint-membership.js';
import { encodeSnapshotPayloadHeader } from './snapshot-payload.js';
import type { RequestOptions, ResolvedReplicaOptions } from './options.js';
import { Proposals, Reads, Transfers, checkBackpressure, failureReason, type FailureSink, type ReadIndexSink } from './proposals.js';

/** What {@link Requests} reads from, and tells, the replica. */
export interface RequestsDeps {
  /** This member's id. */
  id: number;
  /** The node requests are made to. */
  node: RaftNode;
  /** Deadlines are in this clock's milliseconds. */
  clock: Clock;
  /** Limits, timeouts, forwarding and the incarnation. */
  opts: ResolvedReplicaOptions;
  /** Counts every failed request by reason. */
  onFailure: FailureSink;
  /** Counts failed and slow ReadIndex rounds. */
  readIndex: ReadIndexSink;
  /** Whether the replica is `'open'`. */
  isOpen(): boolean;
  /** The known leader, or 0. */
  leader(): number;
  /** The commit index known durable here. */
  committed(): number;
  /** The applied index. */
  applied(): number;
  /** Whether `id` is reachable now (a learner's promotion needs this). */
  isActive(id: number, pr: ProgressStatus | undefined): boolean;
  /** Whether `id` has been reachable for the health interval (a voter counts toward a reconfiguration's quorum only then). */
  isConnected(id: number, pr: ProgressStatus | undefined): boolean;
  /** Asks the Ready loop to run. */
  schedule(): void;
}

/** The options of a read asked again after a leader change (a read's submission reads none). */
const REASK: RequestOptions = {};

/** A proposal or read waiting for a leader (made only when it has to wait). */
type Waiting = { kind: 'propose'; seq: number; command: Uint8Array; options: RequestOptions } | { kind: 'read'; seq: number; options: RequestOptions };

/**
 * The replica's requests from start to outcome: it admits them (lifecycle, leadership,
 * back-pressure, reconfiguration checks), wraps them in this incarnation's envelope (see
 * `envelope.ts`), hands them to the node, and matches what comes back (entry indexes, read
 * states, the leader) to the pending {@link Proposals}, {@link Reads} and {@link Transfers}.
 */
export class Requests {
  /** Pending proposals and membership changes (the applier settles them). */
  readonly proposals: Proposals;
  private readonly reads: Reads;
  private readonly transfers: Transfers;
  private readonly deps: RequestsDeps;
  private seq = 0;
  /** Requests waiting for a leader; their deadlines run in the maps, which `alive` consults. */
  private waiting: Waiting[] = [];

  /** @param deps - the node, clock, options and views of the replica. */
  constructor(deps: RequestsDeps) {
    this.deps = deps;
    this.proposals = new Proposals(deps.onFailure);
    this.reads = new Reads(deps.readIndex);
    this.transfers = new Transfers(deps.onFailure);
  }

  /** Proposals, membership changes and reads waiting for their outcome. */
  get pending(): number {
    return this.proposals.size + this.reads.size;
  }

  /** See `Replica.propose`. */
  propose<R>(command: Uint8Array, options: RequestOptions): Promise<R> {
    const d = this.deps;
    const refused = !d.isOpen()
      ? new StoppedError()
      : options.signal?.aborted === true
        ? new AbortedError(options.signal.reason)
        : command.length > d.opts.maxRequestBytes
        ? new RequestTooLargeError(command.length, d.opts.maxRequestBytes)
        : checkBackpressure(d.committed(), d.applied(), this.proposals.size, d.opts);
    if (refused !== undefined) return this.refuse(refused);
    const seq = ++this.seq;
    const p = this.proposals.add<R>(seq, this.deadline(options), options.signal);
    // No closures per request (see `Waiting`): a proposal is only remembered if it must wait.
    if ((d.leader() === 0 && options.waitForLeader !== false) || !this.submitProposal(seq, command, options)) this.waiting.push({ kind: 'propose', seq, command, options });
    d.schedule();
    return p;
  }

  /** Hands proposal `seq` to the node; false when it should wait for a leader instead. */
  private submitProposal(seq: number, command: Uint8Array, options: RequestOptions): boolean {
    try {
      if (!this.deps.node.isLeader) this.proposals.forwarded(seq);
      this.deps.node.propose(this.envelope(seq, command));
    } catch (err) {
      if (this.mayWait(err, options)) return false;
      this.proposals.fail(seq, this.proposeError(err));
    }
    return true;
  }

  /** See `Replica.read`. */
  read(options: RequestOptions): Promise<number> {
    const d = this.deps;
    if (!d.isOpen()) return this.refuse(new StoppedError());
    if (options.signal?.aborted === true) return this.refuse(new AbortedError(options.signal.reason));
    if (d.leader() === 0 && options.waitForLeader === false) {
      d.readIndex.failed();
      return this.refuse(new ProposalDroppedError('no leader; cannot confirm a read index'));
    }
    const seq = ++this.seq;
    const p = this.reads.add(seq, this.deadline(options), options.signal);
    if ((d.leader() === 0 && options.waitForLeader !== false) || !this.submitRead(seq)) this.waiting.push({ kind: 'read', seq, options });
    d.schedule();
    return p;
  }

  /** Asks the node for read `seq`'s read index; false when it should wait for a leader instead. */
  private submitRead(seq: number): boolean {
    if (this.deps.leader() === 0) return false;
    try {
      this.deps.node.readIndex(this.envelope(seq, EMPTY_BYTES));
      this.reads.asked(seq);
    } catch (err) {
      this.deps.readIndex.failed();
      this.reads.fail(seq, err instanceof Error ? err : new Error(String(err)));
    }
    return true;
  }

  /** Whether waiting request `w` is still pending (not failed by its deadline or signal) and, for a read, still without its read index. */
  private alive(w: Waiting): boolean {
    return w.kind === 'propose' ? this.proposals.has(w.seq) : this.reads.needsIndex(w.seq);
  }

  /** Submits waiting request `w`; false to keep waiting. */
  private submit(w: Waiting): boolean {
    return w.kind === 'propose' ? this.submitProposal(w.seq, w.command, w.options) : this.submitRead(w.seq);
  }

  /** See `Replica.transferLeadership`. */
  transfer(to: number, options: RequestOptions): Promise<void> {
    const d = this.deps;
    if (!d.isOpen()) return this.refuse(new StoppedError());
    if (d.leader() === to) return Promise.resolve();
    // A follower can relay only its own transfer request (to itself): a relayed request for
    // a third member would carry that member's id as sender, which transports refuse.
    if (d.leader() !== d.id && to !== d.id) return this.refuse(new NotLeaderError(d.leader()));
    if (options.signal?.aborted === true) return this.refuse(new AbortedError(options.signal.reason));
    const [p, fail] = this.transfers.add(to, this.deadline(options));
    this.abortOn(p, options.signal, fail);
    d.node.transferLeader(to);
    d.schedule();
    return p;
  }

  /** Proposes a membership change after the strict reconfiguration check; see `Replica.addMember`. */
  changeMembership(cc: ConfChange, address: string, options: RequestOptions = {}): Promise<undefined> {
    return this.proposeConfChange(cc, encodeAddress(address), (view) => checkReconfig(view, cc, this.deps.opts.strictReconfigCheck), options);
  }

  /**
   * Proposes several membership changes as one joint change; the
   * entry's context carries the new members' addresses. Resolves once the joint configuration
   * is entered here (leaving it follows automatically).
   */
  changeMembershipJoint(changes: readonly MemberChange[], options: RequestOptions): Promise<undefined> {
    const book = new Map<number, string>();
    for (const c of changes) if (c.type !== 'remove' && c.address !== undefined && c.address !== '') book.set(c.id, c.address);
    return this.proposeConfChange(toConfChangeV2(changes), encodeSnapshotPayloadHeader({ book }), (view) => checkJointReconfig(view, changes), options);
  }

  private async proposeConfChange(cc: AnyConfChange, payload: Uint8Array, check: (view: ReconfigView) => void, options: RequestOptions = {}): Promise<undefined> {
    const d = this.deps;
    if (!d.isOpen()) return this.refuse(new StoppedError());
    if (options.signal?.aborted === true) return this.refuse(new AbortedError(options.signal.reason));
    if (d.leader() !== d.id) return this.refuse(new NotLeaderError(d.leader()));
    const s = d.node.status();
    const progress = s.progress ?? new Map<number, ProgressStatus>();
    try {
      check({
        leader: d.id,
        config: s.config,
        progress,
        isActive: (id) => d.isActive(id, progress.get(id)),
        isConnected: (id) => d.isConnected(id, progress.get(id)),
        learnerMaxLag: d.opts.learnerMaxLag,
      });
    } catch (err) {
      return this.refuse(err as Error);
    }
    const seq = ++this.seq;
    const p = this.proposals.add<undefined>(seq, this.deadline(options), options.signal);
    try {
      d.node.proposeConfChange({ ...cc, context: this.envelope(seq, payload) });
    } catch (err) {
      this.proposals.fail(seq, this.proposeError(err));
    }
    d.schedule();
    return p;
  }


  /** Fails a pending transfer (through `fail`) with `AbortedError` when `signal` aborts; the listener goes once `p` settles. */
  private abortOn(p: Promise<unknown>, signal: AbortSignal | undefined, fail: (err: Error) => void): void {
    if (signal === undefined) return;
    const abort = (): void => fail(new AbortedError(signal.reason));
    signal.addEventListener('abort', abort, { once: true });
    const done = (): void => signal.removeEventListener('abort', abort);
    p.then(done, done);
  }

  /** Counts `err` as a failed request and returns it as a rejection. */
  refuse<T>(err: Error): Promise<T> {
    this.deps.onFailure(failureReason(err));
    return Promise.reject(err);
  }

  /** Whether `env` is a request of this replica's current incarnation; returns its seq. */
  readonly own = (env: Envelope | undefined): number | undefined =>
    env !== undefined && env.proposer === this.deps.id && env.incarnation === this.deps.opts.incarnation ? env.seq : undefined;

  /** Notes where this replica's own requests landed among durable `entries`. */
  persisted(entries: readonly Entry[]): void {
    const { id } = this.deps;
    const { incarnation } = this.deps.opts;
    for (const e of entries) {
      const seq = e.type === EntryType.EntryNormal ? ownSeqOf(e.data, id, incarnation) : this.own(decodeEnvelope(confChangeContext(e)));
      if (seq !== undefined) this.proposals.noteIndex(seq, e.index);
    }
  }

  /** Confirms the read indexes of this replica's own reads, and releases those already applied. */
  readStates(rs: readonly ReadState[]): void {
    for (const r of rs) {
      const seq = this.own(decodeEnvelope(r.requestCtx));
      if (seq !== undefined) this.reads.confirm(seq, r.index);
    }
    this.reads.release(this.deps.applied());
  }

  /** Entries up to `index` are applied: releases the reads waiting for it. */
  applied(index: number): void {
    this.reads.release(index);
  }

  /**
   * The known leader is now `leader`: resolves the transfers to it, and submits the requests
   * waiting for a leader. Reads whose ReadIndex request went to the old leader unanswered wait
   * with them and ask the new one: a leader that steps down drops the read-only requests it had
   * not confirmed, and they would otherwise wait for their deadline (etcd fails them with "leader
   * changed" for its client to retry).
   */
  leaderIs(leader: number): void {
    this.transfers.leaderIs(leader);
    for (const seq of this.reads.leaderChanged()) this.waiting.push({ kind: 'read', seq, options: REASK });
    if (leader === 0 || this.waiting.length === 0) return;
    // Called from inside the Ready loop: submit once it has handed back control.
    queueMicrotask(() => {
      if (this.deps.leader() === 0) return;
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) if (this.alive(w) && !this.submit(w)) this.waiting.push(w);
      this.deps.schedule();
    });
  }

  /** Whether a failed submission should wait for a leader instead of failing. */
  private mayWait(err: unknown, options: RequestOptions): boolean {
    return err instanceof ProposalDroppedError && this.deps.leader() === 0 && options.waitForLeader !== false;
  }

  /** Fails every request whose deadline is at or before `now` with `TimeoutError`. */
  sweep(now: number): void {
    this.proposals.sweep(now);
    this.reads.sweep(now);
    this.transfers.sweep(now);
    if (this.waiting.length > 0) this.waiting = this.waiting.filter((w) => this.alive(w));
  }

  /** Fails every pending request with `reason` (the replica is stopping). */
  failAll(reason: Error): void {
    this.waiting = [];
    this.proposals.failAll(reason);
    this.reads.failAll(reason);
    this.transfers.failAll(reason);
  }

  private envelope(seq: number, payload: Uint8Array): Uint8Array {
    return encodeEnvelope({ proposer: this.deps.id, incarnation: this.deps.opts.incarnation, seq }, payload);
  }

  private proposeError(err: unknown): Error {
    const lead = this.deps.leader();
    if (err instanceof ProposalDroppedError && !this.deps.opts.forwarding && lead !== 0 && lead !== this.deps.id) return new NotLeaderError(lead);
    return err instanceof Error ? err : new Error(String(err));
  }

  private deadline(o: RequestOptions): number {
    return this.deps.clock.now() + (o.timeoutMs ?? this.deps.opts.requestTimeoutMs);
  }
}
