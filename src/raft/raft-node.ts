import { validateConfig, type RaftConfig } from './config.js';
import {
  ConfChangeType,
  asV2,
  encodeConfChange,
  encodeConfChangeV2,
  isConfChangeV2,
  type AnyConfChange,
} from './conf-change.js';
import { NONE } from './constants.js';
import {
  EntryType,
  emptyHardState,
  ENTRY_OVERHEAD,
  isHardStateEqual,
  type ConfState,
  type Entry,
  type HardState,
} from './entry.js';
import { ConfigInvalidError, RaftInvariantError, StepLocalMsgError, StepPeerNotFoundError } from './errors.js';
import { MessageType, MessageTypeName, createMessage, isLocalMessage, isMessageType, isResponseMessage, type Message } from './messages.js';
import { maybeCommitWithLeader } from './leader-ack.js';
import { Raft } from './raft.js';
import { mustSync, StateType, type ReadState, type Ready, type SoftState } from './ready.js';
import { getStatus, type Status } from './status.js';

/** A member of a brand-new cluster, for {@link RaftNode.bootstrap}. */
export interface Peer {
  /** The member's id. */
  id: number;
  /** Opaque context carried in the member's bootstrap conf change (for example its address). */
  context?: Uint8Array | undefined;
}

/** The outcome of sending a snapshot, for {@link RaftNode.reportSnapshot}. */
export type SnapshotStatus = 'finish' | 'failure';

/** What `ready()` handed out, so that `advance()` can acknowledge exactly that. */
interface Accepted {
  stepsOnAdvance: Message[];
  lastEntry: Entry | undefined;
  snapshotIndex: number;
  lastCommitted: Entry | undefined;
  committedSize: number;
  committedPayload: number;
}

/** The `readStates` of every Ready that has none (frozen: a Ready is read-only). */
const NO_READ_STATES = Object.freeze([]) as unknown as ReadState[];

function validateBytes(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new ConfigInvalidError(`${name} must be a Uint8Array`);
  return v;
}

/**
 * A Raft node: a pure, single-threaded state machine with etcd's `RawNode` API. It does no
 * I/O and reads no clock; the application calls {@link RaftNode.tick} to pass time,
 * {@link RaftNode.step} to deliver messages, and drives the Ready loop:
 *
 * ```ts
 * node.tick(); // on a timer
 * node.step(msg); // for each received message
 * while (node.hasReady()) {
 *   const rd = node.ready();
 *   storage.persist(rd.hardState, rd.entries, rd.snapshot); // 1. persist
 *   send(rd.messages); send(rd.persistedMessages); // 2. send
 *   apply(rd.committedEntries); // 3. apply
 *   node.advance(rd); // 4. advance
 * }
 * ```
 *
 * See {@link Ready} for the exact contract.
 */
export class RaftNode {
  private readonly raft: Raft;
  private prevSoftSt: SoftState;
  private prevHardSt: HardState;
  private accepted: Accepted | undefined = undefined;

  /**
   * Creates a node from its config, restoring the hard state, configuration and log from
   * `config.storage`.
   *
   * @throws {@link ConfigInvalidError} naming the invalid field.
   */
  constructor(config: RaftConfig) {
    this.raft = new Raft(validateConfig(config));
    this.prevSoftSt = this.raft.softState();
    this.prevHardSt = this.raft.hardState();
  }

  /** This node's id. */
  get id(): number {
    return this.raft.id;
  }

  /**
   * Writes the initial membership of a brand-new cluster as committed conf change entries
   * (term 1, indexes 1..n), so the node can campaign at once. The application sees them in
   * the first Ready's `committedEntries` and must apply them as usual.
   *
   * @throws {@link ConfigInvalidError} when no peers are given or the storage is not empty.
   */
  bootstrap(peers: readonly (number | Peer)[]): void {
    if (peers.length === 0) throw new ConfigInvalidError('bootstrap: must provide at least one peer');
    if (this.raft.raftLog.storage.lastIndex() !== 0 || this.raft.raftLog.lastIndex() !== 0) {
      throw new ConfigInvalidError("bootstrap: can't bootstrap a nonempty storage");
    }
    const list = peers.map((p) => (typeof p === 'number' ? { id: p } : p));
    for (const p of list) {
      if (!Number.isSafeInteger(p.id) || p.id <= 0) throw new ConfigInvalidError(`bootstrap: peer id must be a positive integer, got ${p.id}`);
    }
    // Nothing has been persisted: the first Ready emits the hard state.
    this.prevHardSt = emptyHardState();
    const r = this.raft;
    r.becomeFollower(1, NONE);
    const ents: Entry[] = list.map((p, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: p.id, context: p.context }),
    }));
    r.raftLog.append(ents);
    // The entries are committed at once; applied stays 0 so the application applies them.
    r.raftLog.committed = ents.length;
    for (const p of list) {
      r.applyConfChange(asV2({ type: ConfChangeType.ConfChangeAddNode, nodeId: p.id }));
    }
  }

  /** Advances the logical clock by one tick (elections, heartbeats, quorum checks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election at once (a PreVote round first when `preVote` is on). */
  campaign(): void {
    this.raft.step(createMessage({ type: MessageType.MsgHup }));
  }

  /**
   * Proposes data to be appended to the log. On a follower the proposal is forwarded to
   * the leader. Success means only that the proposal was accepted for replication; it
   * may still be lost (watch for the entry in `committedEntries`).
   *
   * @throws {@link ProposalDroppedError} when there is no leader, a leadership transfer is
   * in progress, forwarding is disabled, or the uncommitted log is too large.
   */
  propose(data: Uint8Array): void {
    validateBytes('data', data);
    this.raft.step(
      createMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data }] }),
    );
  }

  /**
   * Proposes a membership change. A change proposed while another is pending (not yet
   * applied) is replaced by an empty entry, as in etcd. Once the entry is committed the
   * application must call {@link RaftNode.applyConfChange}.
   *
   * @throws {@link ProposalDroppedError} as for {@link RaftNode.propose}.
   */
  proposeConfChange(cc: AnyConfChange): void {
    const entry: Entry = isConfChangeV2(cc)
      ? { term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2(cc) }
      : { term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) };
    this.raft.step(createMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [entry] }));
  }

  /**
   * Applies a committed conf change to the node's configuration and returns the new
   * configuration, which the application should persist with its snapshot state.
   *
   * @throws {@link ConfigInvalidError} when the change is invalid for the current configuration.
   */
  applyConfChange(cc: AnyConfChange): ConfState {
    return this.raft.applyConfChange(asV2(cc));
  }

  /**
   * Delivers a message received from a peer.
   *
   * @throws {@link StepLocalMsgError} for local-only message types.
   * @throws {@link StepPeerNotFoundError} for a response from a peer not in the configuration.
   * @throws {@link ProposalDroppedError} for a proposal that cannot be accepted.
   */
  step(m: Message): void {
    if (!isMessageType(m.type)) throw new StepLocalMsgError(`raft: cannot step unknown message type ${String(m.type)}`);
    if (isLocalMessage(m.type)) throw new StepLocalMsgError(`raft: cannot step raft local message ${MessageTypeName[m.type]}`);
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) {
      throw new StepPeerNotFoundError(`raft: cannot step ${MessageTypeName[m.type]} as peer ${m.from} is not found`);
    }
    this.raft.step(m);
  }

  /** Whether {@link RaftNode.ready} has anything for the application. */
  hasReady(): boolean {
    const r = this.raft;
    if (r.lead !== this.prevSoftSt.lead || r.state !== this.prevSoftSt.raftState) return true;
    // The hard state compared field by field: hasReady runs before every Ready, allocate nothing.
    const prev = this.prevHardSt;
    const commit = r.raftLog.committed;
    const changed = r.term !== prev.term || r.vote !== prev.vote || commit !== prev.commit;
    if (changed && (r.term !== 0 || r.vote !== 0 || commit !== 0)) return true;
    if (r.raftLog.hasNextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.raftLog.hasNextUnstableEnts() || r.raftLog.hasNextCommittedEnts(true)) return true;
    return r.readStates.length !== 0;
  }

  /**
   * Returns what is ready: state to persist, messages to send, entries to apply. Call
   * {@link RaftNode.advance} once it is handled, before the next `ready()`.
   *
   * @throws {@link RaftInvariantError} when called twice without `advance`.
   */
  ready(): Ready {
    if (this.accepted !== undefined) throw new RaftInvariantError('ready() called again before advance()');
    const r = this.raft;
    const log = r.raftLog;
    const entries = log.nextUnstableEnts();
    const committedEntries = log.nextCommittedEnts(true);
    const hs = r.hardState();
    const snapshot = log.nextUnstableSnapshot();
    const messages = r.msgs;
    if (messages.length !== 0) r.msgs = [];
    // Never the core's own empty array: a ReadState pushed while this Ready is handled would
    // show in it, and again in the next Ready.
    const readStates = r.readStates.length === 0 ? NO_READ_STATES : r.readStates;
    if (readStates !== NO_READ_STATES) r.readStates = [];
    let steps: Message[] = [];
    let persisted: Message[] = [];
    const after = r.msgsAfterAppend;
    if (after.length !== 0) {
      // Usually all of them go one way (a follower's acks to its leader; a leader's to itself):
      // that list is then `after` itself, which the node gives up here, not a copy.
      let own = 0;
      for (let i = 0; i < after.length; i++) if (after[i]!.to === r.id) own++;
      if (own === 0) persisted = after;
      else if (own === after.length) steps = after;
      else {
        for (let i = 0; i < after.length; i++) {
          const m = after[i]!;
          if (m.to === r.id) steps.push(m);
          else persisted.push(m);
        }
      }
      r.msgsAfterAppend = [];
    }
    const rd: Ready = {
      softState: undefined,
      hardState: undefined,
      readStates,
      entries,
      snapshot,
      committedEntries,
      messages,
      persistedMessages: persisted,
      // Unlike etcd (whose server syncs snapshots on its own), a snapshot is always synced.
      mustSync: mustSync(hs, this.prevHardSt, entries.length) || snapshot !== undefined,
    };
    if (r.lead !== this.prevSoftSt.lead || r.state !== this.prevSoftSt.raftState) {
      rd.softState = r.softState();
      this.prevSoftSt = rd.softState;
    }
    if (!isHardStateEqual(hs, this.prevHardSt)) {
      rd.hardState = hs;
      this.prevHardSt = hs;
    }
    // One pass for both budgets: entrySize is the payload plus a fixed header.
    let committedPayload = 0;
    for (let i = 0; i < committedEntries.length; i++) committedPayload += committedEntries[i]!.data.length;
    const committedSize = committedPayload + committedEntries.length * ENTRY_OVERHEAD;
    this.accepted = {
      stepsOnAdvance: steps,
      lastEntry: entries[entries.length - 1],
      snapshotIndex: snapshot === undefined ? 0 : snapshot.metadata.index,
      lastCommitted: committedEntries[committedEntries.length - 1],
      committedSize,
      committedPayload,
    };
    log.acceptUnstable();
    if (committedEntries.length > 0) log.acceptApplying(committedEntries[committedEntries.length - 1]!.index, committedSize, true);
    return rd;
  }

  /**
   * Tells the node that the last Ready was handled: its writes are durable, its messages
   * sent and its committed entries applied. The node then counts its own durable
   * entries and votes, and moves its applied index.
   *
   * @param _rd - the Ready being acknowledged (accepted for API symmetry with etcd).
   */
  advance(_rd?: Ready): void {
    const acc = this.accepted;
    if (acc === undefined) return;
    this.accepted = undefined;
    const r = this.raft;
    for (const m of acc.stepsOnAdvance) {
      try {
        r.step(m);
      } catch (err) {
        r.logger.debug(`error stepping ${MessageTypeName[m.type]} on advance: ${String(err)}`);
      }
    }
    if (acc.lastEntry !== undefined) r.raftLog.stableTo({ index: acc.lastEntry.index, term: acc.lastEntry.term });
    if (acc.snapshotIndex !== 0) {
      r.raftLog.stableSnapTo(acc.snapshotIndex);
      r.appliedTo(acc.snapshotIndex, 0);
    }
    if (acc.lastCommitted !== undefined) {
      r.appliedTo(acc.lastCommitted.index, acc.committedSize);
      r.reduceUncommittedSize(acc.committedPayload);
    }
    // A follower's write (or its apply of a conf change) may let it commit with the leader's acknowledgement.
    maybeCommitWithLeader(r);
  }

  /**
   * Asks the leader to transfer leadership to `transferee` (thesis §3.10). On a follower
   * the request is forwarded to the leader.
   */
  transferLeader(transferee: number): void {
    this.raft.step(createMessage({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /**
   * Makes a follower forget its leader, so that it may grant votes at once (for example
   * when the application knows the leader is gone). Ignored with lease-based reads.
   */
  forgetLeader(): void {
    this.raft.step(createMessage({ type: MessageType.MsgForgetLeader }));
  }

  /**
   * Requests a read index for a linearizable read. The answer arrives as a
   * {@link ReadState} carrying `context` in a later Ready; the read may be served once the
   * application has applied up to its index.
   */
  readIndex(context: Uint8Array): void {
    validateBytes('context', context);
    this.raft.step(
      createMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: context }] }),
    );
  }

  /** Reports that the last message to `id` could not be sent; the leader probes it again. */
  reportUnreachable(id: number): void {
    this.stepQuietly(createMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  /** Reports the outcome of sending a snapshot to `id`. */
  reportSnapshot(id: number, status: SnapshotStatus): void {
    this.stepQuietly(createMessage({ type: MessageType.MsgSnapStatus, from: id, reject: status === 'failure' }));
  }

  private stepQuietly(m: Message): void {
    try {
      this.raft.step(m);
    } catch (err) {
      this.raft.logger.debug(`error stepping ${MessageTypeName[m.type]}: ${String(err)}`);
    }
  }

  /**
   * Whether the node is the leader now (as of the last message, tick or Ready handled), which a
   * Ready's soft state reports only later: a proposal made now is appended here rather than
   * sent to a leader.
   */
  get isLeader(): boolean {
    return this.raft.state === StateType.Leader;
  }

  /** Returns the node's current state, with per-peer progress on the leader. */
  status(): Status {
    return getStatus(this.raft);
  }

  /**
   * The internal state machine, for the test harness and debugging only.
   *
   * @internal
   */
  get internal(): Raft {
    return this.raft;
  }
}
