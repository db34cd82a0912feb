import { EventEmitter } from 'eventemitter3';
import type { Registry } from 'prom-client';
import { ConfChangeType } from '../raft/conf-change.js';
import type { ConfState, Entry, HardState } from '../raft/entry.js';
import { RaftNode } from '../raft/raft-node.js';
import { StateType, type SoftState } from '../raft/ready.js';
import type { ProgressStatus } from '../raft/status.js';
import type { ResourceStatus, Storage } from '../storage/storage.js';
import type { Message } from '../raft/messages.js';
import type { Transport } from '../transport/transport.js';
import { Applier } from './applier.js';
import { ENVELOPE_OVERHEAD } from './envelope.js';
import { systemClock, type Cancel, type Clock } from './clock.js';
import { MembershipRefusedError, StoppedError } from './errors.js';
import type { ReplicaEvents } from './events.js';
import { Members } from './membership.js';
import { untilLeftJoint, type MemberChange } from './joint-membership.js';
import { ReplicaMetrics, type MetricJSON } from './metrics.js';
import { PeerRtt } from './peer-rtt.js';
import { HeartbeatDetector } from './heartbeat-detector.js';
import { PeerDoor } from './peer-door.js';
import { Requests } from './requests.js';
import { loadState, createNode, failStart, type StartState } from './bootstrap.js';
import { resolveOptions, type ResolvedReplicaOptions, type ReplicaOptions, type ReplicaStatus, type RequestOptions } from './options.js';
import { ReadyLoop, StorageWriter } from './ready-loop.js';
import type { StateMachine } from './state-machine.js';
import { Snapshotter } from './snapshots.js';
import { StartTickAdvance } from './initial-tick-advance.js';
import { PeerContact } from './peer-contact.js';
import { replicaStatus } from './replica-status.js';
import { checkAddMember, checkAddress, checkCommand, checkMemberChanges, checkMemberId, checkRequestOptions, checkStartOptions } from './validate.js';
import { coreStorage, currentSnapshot, materializer, receiveSnapshotStream, refusedSnapshot } from './snapshot-io.js';

/**
 * A member of a Raft cluster: drives a {@link RaftNode} with a {@link Storage}, a
 * {@link Transport}, a {@link Clock} and the application's {@link StateMachine}, and offers a
 * promise API. Each Ready is handled in the contract's order (persist, send, apply, advance),
 * so an application using `Replica` never handles a Ready itself.
 *
 * Lifecycle: {@link Replica.start} resolves with an `'open'` replica; {@link Replica.stop}
 * (or removal) fails every pending request with `StoppedError` and closes the replica, its
 * state machine, transport and storage. It restarts with `Replica.start` on the same storage.
 */
export class Replica<R = unknown> extends EventEmitter<ReplicaEvents> {
  /** This member's id. */
  readonly id: number;
  /** The state machine this replica drives (as given to {@link Replica.start}). */
  readonly stateMachine: StateMachine<R>;
  private state: ResourceStatus = 'opening';
  private closing: Promise<void> | undefined = undefined;
  private readonly node: RaftNode;
  private readonly storage: Storage;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly opts: ResolvedReplicaOptions;
  private readonly writer = new StorageWriter();
  private readonly requests: Requests;
  private readonly members: Members;
  private readonly loop: ReadyLoop;
  private readonly applier: Applier;
  private readonly metricsImpl: ReplicaMetrics;
  private readonly rtt: PeerRtt;
  private readonly heartbeats: HeartbeatDetector;
  private readonly contact: PeerContact;
  private readonly tickAdvance: StartTickAdvance;
  private readonly door: PeerDoor;
  private readonly timers = new Set<Cancel>();
  private lead = 0;
  private role: StateType = StateType.Follower;
  private term: number;
  private committed: number;
  private appliedSeen = 0;

  /**
   * Opens the storage, restores the state machine from the stored snapshot if it is behind,
   * bootstraps a new cluster (`peers`, empty storage) or prepares to join one (`join`), starts
   * the transport and the ticker.
   *
   * Options are checked before anything is opened; a start that fails later closes the storage
   * and the transport.
   * @throws {@link ConfigInvalidError} (invalid options, duplicate peer ids, `peers` without this
   * member, empty storage without `peers`/`join`), `StorageOpenError`, `ListenFailedError`, `ReplicaStartError`.
   */
  static async start<R>(options: ReplicaOptions<R>): Promise<Replica<R>> {
    checkStartOptions(options);
    try {
      const st = await loadState(options);
      const r = new Replica<R>(options, st);
      for (const [id, address] of st.book) r.members.set(id, address);
      await r.open();
      return r;
    } catch (err) {
      return failStart(options, err);
    }
  }

  private constructor(o: ReplicaOptions<R>, st: StartState) {
    super();
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the rest is the RaftNode config
    const { peers, join, storage, transport, stateMachine, clock, tickMs, snapshotEvery, compactionTail, maxPendingApply, maxPendingProposals, requestTimeoutMs, learnerMaxLag, healthIntervalMs, incarnation, maxRequestBytes, initialElectionTickAdvance, ...raft } = o;
    this.id = o.id;
    this.stateMachine = stateMachine;
    this.storage = storage;
    this.transport = transport;
    this.clock = clock ?? systemClock;
    this.opts = resolveOptions(o);
    this.contact = new PeerContact(this.opts.electionMs, this.opts.healthIntervalMs);
    const snapIndex = currentSnapshot(storage).metadata.index;
    // PreVote and CheckQuorum on (the default): an early campaign cannot unseat a leader.
    this.tickAdvance = new StartTickAdvance(this.opts, o.id, (raft.preVote ?? true) && (raft.checkQuorum ?? true), st.hardState.commit);
    // A state machine that streams its snapshots gets a core that carries them by reference.
    this.node = createNode(raft, o.id, coreStorage(storage, stateMachine.snapshotChunks !== undefined || stateMachine.captureSnapshot !== undefined), st.fresh ? peers : undefined, snapIndex);
    this.term = st.hardState.term;
    this.committed = st.hardState.commit;
    this.members = new Members(o.id, transport);
    for (const p of [...(peers ?? []), ...(join ?? [])]) this.members.set(p.id, p.address);
    this.metricsImpl = new ReplicaMetrics({
      id: o.id, leader: () => this.lead, pending: () => this.requests.pending, restoringSnapshot: () => this.applier.restoring, savingSnapshot: () => this.applier.snapshotting,
      transportStats: () => this.transport.stats(), rttMs: (peer) => this.rtt.latest(peer), warningApplyMs: this.opts.warningApplyMs, walBytes: storage.walBytesWritten === undefined ? undefined : () => storage.walBytesWritten ?? 0,
    });
    this.rtt = new PeerRtt(this.clock, this.metricsImpl.peerRtt);
    this.heartbeats = new HeartbeatDetector(this.clock, this.opts.heartbeatMs, () => this.metricsImpl.heartbeatFailures.inc());
    this.door = new PeerDoor({ node: this.node, id: o.id, maxProposalBytes: this.opts.maxRequestBytes + ENVELOPE_OVERHEAD, clock: this.clock, electionMs: this.opts.electionMs,
      contact: this.contact, rtt: this.rtt, refused: (code) => this.metricsImpl.refused.inc({ code }), rescued: () => this.metricsImpl.laggingVoterRescues.inc() });
    this.requests = new Requests({
      id: o.id, node: this.node, clock: this.clock, opts: this.opts,
      onFailure: (reason) => this.metricsImpl.fail(reason),
      readIndex: { failed: () => this.metricsImpl.readIndexFailed.inc(), slow: () => this.metricsImpl.readIndexSlow.inc() },
      isOpen: () => this.state === 'open', leader: () => this.lead, committed: () => this.committed, applied: () => this.applier.appliedIndex,
      isActive: (id, pr) => this.isActive(id, pr),
      isConnected: (id, pr) => (pr?.recentActive ?? false) && this.contact.connected(id, this.clock.now()),
      schedule: () => this.loop.schedule(),
    });
    const snapshotter = new Snapshotter(
      {
        storage,
        writer: this.writer,
        stateMachine,
        book: () => this.members.addresses(),
        sessions: () => st.sessions.encode(),
        confState: () => this.node.status().config,
        every: this.opts.snapshotEvery, clock: this.clock,
        tail: this.opts.compactionTail,
        observer: { stored: (marshalling) => this.metricsImpl.snapshotMarshalling.observe(marshalling), compacted: () => this.metricsImpl.logCompactions.inc() },
      },
      snapIndex,
    );
    this.metricsImpl.snapshotIndex.set(snapIndex);
    this.applier = new Applier(
      {
        node: this.node, storage, stateMachine, smApplied: st.smApplied,
        proposals: this.requests.proposals, sessions: st.sessions, members: this.members, snapshotter, clock: this.clock, own: this.requests.own,
        hooks: {
          applied: (index, commands, seconds) => this.onApplied(index, commands, seconds),
          duplicate: () => this.metricsImpl.duplicates.inc(),
          applyTook: (ms) => this.metricsImpl.observeApply(ms),
          memberChanged: (kind, id, address, learner) => this.onMemberChanged(kind, id, address, learner),
          snapshot: (kind, index, seconds) => {
            this.metricsImpl.snapshots.inc({ kind });
            this.metricsImpl.snapshotDuration.observe({ kind }, seconds);
            if (kind === 'created') this.metricsImpl.snapshotSave.observe(seconds);
            this.metricsImpl.snapshotIndex.set(index);
            this.emit('snapshot', kind, index);
          },
          error: (err) => this.emit('error', err),
          fatal: (err) => this.halt(err, `replica stopped: ${err.message}`),
        },
      },
      snapIndex,
    );
    this.loop = new ReadyLoop({
      node: this.node, storage, transport, writer: this.writer, clock: this.clock, maxSizePerMsg: this.opts.maxSizePerMsg,
      hooks: {
        softState: (ss, hs2) => this.onSoftState(ss, hs2),
        persisted: (entries, hs2) => this.onPersisted(entries, hs2),
        apply: (snapshot, committed) => this.applier.push(snapshot, committed),
        readStates: (rs) => this.requests.readStates(rs),
        advanced: () => this.applier.flushAfterAdvance(),
        observeWrite: (s) => this.metricsImpl.fsync.observe(s),
        sent: (messages) => { this.rtt.sent(messages); this.heartbeats.sent(messages); },
        snapshotFailed: (to) => this.onSnapshotStatus(to, 'failure'), materializeSnapshot: materializer(stateMachine, storage, this.applier),
        fatal: (err) => this.halt(err instanceof Error ? err : new Error(String(err)), 'storage failed; replica stopped'),
      },
    });
  }

  private async open(): Promise<void> {
    this.transport.on('message', this.onMessage);
    this.transport.on('unreachable', this.onUnreachable);
    this.transport.on('snapshot-status', this.onSnapshotStatus);
    this.transport.on('snapshot-stream', this.onSnapshotStream);
    await this.transport.start();
    this.timers.add(this.clock.every(this.opts.tickMs, this.onTick));
    this.state = 'open';
    this.loop.schedule();
  }

  /** The replica's lifecycle: `'open'` from start until stop (or removal), then `'closing'`, `'closed'`. */
  get lifecycle(): ResourceStatus {
    return this.state;
  }

  /**
   * Proposes `command` and resolves with the state machine's result once its entry is applied
   * here. Works on any member (followers forward to the leader).
   *
   * @throws (rejects) {@link RequestTooLargeError} (`command` is larger than `maxRequestBytes`;
   * nothing was proposed), {@link TooManyRequestsError}, {@link NotLeaderError} (forwarding disabled),
   * `ProposalDroppedError` (no leader, or the entry this member appended as leader was
   * overwritten: it never took effect), {@link TimeoutError} (outcome unknown: so is a forwarded
   * proposal whose entry was overwritten and no other copy of which committed, since the network
   * may have delivered it twice), {@link StoppedError}.
   */
  propose(command: Uint8Array, options: RequestOptions = {}): Promise<R> {
    return this.guard(() => this.requests.propose<R>(checkCommand(command), checkRequestOptions(options)));
  }

  /**
   * A linearizable read barrier (ReadIndex, thesis §6.4): resolves with the read index once
   * this member has applied at least up to it, so a read of local state afterwards sees every
   * write acknowledged before `read()` was called.
   */
  read(options: RequestOptions = {}): Promise<number> {
    return this.guard(() => this.requests.read(checkRequestOptions(options)));
  }

  /**
   * Asks the leader to hand leadership to `to` (thesis §3.10); resolves once `to` leads.
   * Call it on the leader, or on `to` itself; elsewhere it rejects with `NotLeaderError`
   * naming the leader.
   */
  transferLeadership(to: number, options: RequestOptions = {}): Promise<void> {
    return this.guard(() => this.requests.transfer(checkMemberId('to', to), checkRequestOptions(options)));
  }

  /**
   * Adds a member (as a learner with `{ learner: true }`, the safe way to grow: promote it once
   * it caught up). Must be called on the leader; resolves when the change is applied here. `options` also takes {@link RequestOptions}, as do the other membership calls.
   * A voter is refused unless a quorum of the new voters is reachable, except that a single voter
   * may add a second (as etcd allows): the cluster then has no quorum until that member has joined.
   *
   * @throws (rejects) {@link NotLeaderError}, {@link MembershipRefusedError} (unsafe or invalid), and as `propose`.
   */
  addMember(id: number, address: string, options: { learner?: boolean } & RequestOptions = {}): Promise<void> {
    return this.guard(() => {
      const type = checkAddMember(id, address, options, (a) => this.transport.checkAddress?.(a)) ? ConfChangeType.ConfChangeAddLearnerNode : ConfChangeType.ConfChangeAddNode;
      return this.requests.changeMembership({ type, nodeId: id }, address, checkRequestOptions(options));
    });
  }

  /** Promotes a learner to voter; refused until it has caught up with the leader (counted when asked of the leader). See {@link Replica.addMember}. */
  promoteMember(id: number, options: RequestOptions = {}): Promise<void> {
    if (!Number.isSafeInteger(id) || id <= 0) return this.guard(() => checkMemberId('id', id) as never);
    const leading = this.lead === this.id;
    if (!this.node.status().config.learners.includes(id)) return this.metricsImpl.promotion(this.requests.refuse(new MembershipRefusedError(`member ${id} is not a learner`)), leading, 'not_learner');
    return this.metricsImpl.promotion(this.guard(() => this.requests.changeMembership({ type: ConfChangeType.ConfChangeAddNode, nodeId: id }, this.members.addresses().get(id) ?? '', checkRequestOptions(options))), leading);
  }

  /** Removes a member (the removed member stops once it applies the change). See {@link Replica.addMember}. */
  removeMember(id: number, options: RequestOptions = {}): Promise<void> {
    return this.guard(() => this.requests.changeMembership({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: checkMemberId('id', id) }, '', checkRequestOptions(options)));
  }

  /** Changes a member's address on every member (ConfChangeUpdateNode). See {@link Replica.addMember}. */
  updateMember(id: number, address: string, options: RequestOptions = {}): Promise<void> {
    return this.guard(() => this.requests.changeMembership(
      { type: ConfChangeType.ConfChangeUpdateNode, nodeId: checkMemberId('id', id) },
      checkAddress('address', address, (a) => this.transport.checkAddress?.(a)), checkRequestOptions(options)));
  }

  /**
   * Changes several members in one joint-consensus request (ConfChangeV2, thesis §4.3), e.g. replacing
   * a member: `[{ type: 'add-voter', id: learner }, { type: 'remove', id: old }]`. Checked like {@link Replica.addMember}
   * on both voter sets. Call it on the leader; resolves once the joint configuration has been left here.
   * `timeoutMs` bounds the whole call; an abort stops the waiting (the change may still be applied).
   *
   * @throws (rejects) {@link NotLeaderError}, {@link MembershipRefusedError}, {@link TimeoutError}, {@link AbortedError}, and as `propose`.
   */
  async changeMembership(changes: readonly MemberChange[], options: RequestOptions = {}): Promise<void> {
    const start = this.clock.now();
    await this.guard(() => this.requests.changeMembershipJoint(checkMemberChanges(changes, (a) => this.transport.checkAddress?.(a)), checkRequestOptions(options)));
    await untilLeftJoint(this, () => this.node.status().config, this.clock, start + (options.timeoutMs ?? this.opts.requestTimeoutMs) - this.clock.now(), options.signal);
  }

  /** The current Raft term, without building a {@link Replica.status} (response headers read it per request). */
  get currentTerm(): number { return this.term; }

  /** The leader this member knows (0: none), without building a {@link Replica.status}. */
  get currentLeader(): number { return this.lead; }

  /** The replica's current state. */
  status(): ReplicaStatus {
    const base = { id: this.id, lifecycle: this.state, leader: this.lead, applied: this.applier.appliedIndex, members: this.members.addresses(), pending: this.requests.pending };
    return replicaStatus(this.node.status(), base, (id, pr) => ({ active: id === this.id || this.isActive(id, pr), rttMs: this.rtt.latest(id) }));
  }

  /**
   * Reports a read served from local state that took `ms` milliseconds (raftkit/kv: a Range, or a Txn
   * without writes): over 100 ms it counts in `raft_slow_applies_total`, as etcd counts slow read-only requests.
   */
  observeRead(ms: number): void {
    this.metricsImpl.observeApply(ms);
  }

  /** The metrics in the Prometheus text exposition format. */
  metrics(): Promise<string> { return this.metricsImpl.text(); }

  /**
   * The replica's prom-client registry, where a state machine or an application may register
   * metrics of its own so that {@link Replica.metrics} exposes them too.
   */
  get metricsRegistry(): Registry {
    return this.metricsImpl.registry;
  }

  /** The same metrics as {@link Replica.metrics}, by name. */
  metricsJSON(): Promise<Record<string, MetricJSON>> { return this.metricsImpl.json(); }

  /** Stops the replica and closes its transport and storage. Idempotent. */
  stop(): Promise<void> {
    return this.close(new StoppedError());
  }

  /** Same as {@link Replica.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private close(reason: StoppedError): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closing';
      for (const cancel of this.timers) cancel();
      this.timers.clear();
      this.transport.off('message', this.onMessage);
      this.transport.off('unreachable', this.onUnreachable);
      this.transport.off('snapshot-status', this.onSnapshotStatus);
      this.transport.off('snapshot-stream', this.onSnapshotStream);
      this.applier.stop();
      await this.loop.stop();
      this.requests.failAll(reason);
      await Promise.all([this.writer.idle(), this.applier.idle()]); // close() comes after the last apply
      await (async () => this.stateMachine.close?.())().catch((e: unknown) => this.emit('error', e as Error));
      await this.transport.close();
      await this.storage.close();
      this.state = 'closed';
    })();
    return this.closing;
  }

  /** Runs a request whose argument checks may throw: a thrown error becomes a counted rejection. */
  private guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return run();
    } catch (err) {
      return this.requests.refuse(err as Error);
    }
  }

  /** Stops after a failure that makes going on unsafe: emits `error`, then fails every request with `StoppedError(why)`. */
  private halt(err: Error, why: string): void {
    this.emit('error', err);
    this.close(new StoppedError(why)).catch((e: unknown) => this.emit('error', e as Error)); // a dead disk also fails the close
  }

  private isActive(id: number, pr: ProgressStatus | undefined): boolean {
    return (pr?.recentActive ?? false) && this.contact.reachable(id, this.clock.now());
  }

  private readonly onTick = (): void => {
    // etcd's adjustTicks, once this start's configuration is known (see StartTickAdvance).
    if (!this.tickAdvance.done) for (let t = this.tickAdvance.extraTicks(this.applier.appliedIndex, () => this.node.status().config); t > 0; t--) this.node.tick();
    this.node.tick();
    this.requests.sweep(this.clock.now());
    this.loop.schedule();
  };

  private readonly onMessage = (m: Message): void => {
    const refused = refusedSnapshot(m);
    if (refused !== undefined) this.metricsImpl.refused.inc({ code: refused });
    else this.stepMessage(m);
  };

  /** Stores a streamed snapshot's body as it arrives, then acknowledges and steps its message. */
  private readonly onSnapshotStream = (m: Message, body: AsyncIterable<Uint8Array>, settle: (accepted: boolean) => void): void =>
    receiveSnapshotStream(m, body, settle, { storage: this.storage, isOpen: () => this.state === 'open', step: (x) => this.stepMessage(x), refused: (code) => this.metricsImpl.refused.inc({ code }) });

  private stepMessage(m: Message): void {
    const fatal = this.door.step(m);
    if (fatal === undefined) this.loop.schedule();
    else this.halt(fatal, `replica stopped: ${String(fatal)}`);
  }

  private readonly onUnreachable = (peer: number): void => this.node.reportUnreachable(peer);

  private readonly onSnapshotStatus = (peer: number, status: 'finish' | 'failure'): void => {
    this.node.reportSnapshot(peer, status);
    this.loop.schedule();
  };

  private onSoftState(ss: SoftState, hs: HardState | undefined): void {
    if (hs !== undefined) this.term = hs.term;
    if (ss.raftState !== this.role) {
      this.role = ss.raftState;
      this.emit('role-change', ss.raftState);
    }
    if (ss.lead !== this.lead) {
      this.lead = ss.lead;
      if (ss.lead !== 0) this.metricsImpl.leaderChanges.inc();
      this.requests.leaderIs(ss.lead);
      this.emit('leader-change', ss.lead, this.term);
    }
  }

  private onPersisted(entries: readonly Entry[], hs: HardState | undefined): void {
    if (hs !== undefined) {
      this.term = hs.term;
      if (hs.commit > this.committed) {
        this.metricsImpl.committedTotal += hs.commit - this.committed;
        this.committed = hs.commit;
      }
    }
    this.requests.persisted(entries);
  }

  private onApplied(index: number, commands: number, seconds: number): void {
    if (index > this.appliedSeen) this.metricsImpl.appliedTotal += index - this.appliedSeen;
    this.appliedSeen = Math.max(this.appliedSeen, index);
    if (commands > 0) this.metricsImpl.apply.observe(seconds);
    this.requests.applied(index);
    this.emit('applied', index);
  }

  private onMemberChanged(kind: 'added' | 'removed', id: number, address: string, learner: boolean): void {
    if (kind === 'added') {
      this.emit('member-added', id, address, learner);
      return;
    }
    this.emit('member-removed', id);
    this.rtt.forget(id);
    this.heartbeats.forget(id);
    if (id === this.id) {
      this.close(new StoppedError('removed from the cluster')).catch((e: unknown) => this.emit('error', e as Error));
      return;
    }
    const cs = (): ConfState => this.node.status().config;
    this.timers.add(this.members.removeLater(this.clock, this.opts.electionMs, id, () => cs().voters.includes(id) || cs().learners.includes(id)));
  }
}
