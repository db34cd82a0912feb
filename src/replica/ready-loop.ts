import { EntryType, type Entry, type HardState, type Snapshot } from '../raft/entry.js';
import type { RaftNode } from '../raft/raft-node.js';
import { MessageType, type Message } from '../raft/messages.js';
import { StateType, type ReadState, type Ready, type SoftState } from '../raft/ready.js';
import type { Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import { after, type Clock } from './clock.js';
import { coalesceMessages } from './coalesce.js';
import { COMMIT_HOLD_MS, CommitHold } from './commit-hold.js';
import { onlyProposedBy, peerFirst, waitingPeer } from './send-order.js';
import { isReferencedSnapshot, sendReferencedSnapshot, type MaterializeSnapshot } from './snapshot-io.js';

function hasConfChange(entries: readonly Entry[]): boolean {
  for (let i = 0; i < entries.length; i++) if (entries[i]!.type !== EntryType.EntryNormal) return true;
  return false;
}

/**
 * Runs storage writes one at a time, in call order: the Ready loop's `save` and the
 * snapshotter's `createSnapshot`/`compact` share it, as the `Storage` contract requires.
 */
export class StorageWriter {
  private tail: Promise<unknown> = Promise.resolve();
  /** Writes queued or running. */
  private writes = 0;
  private readonly settled = (): void => {
    this.writes--;
  };

  /**
   * Runs `fn` after every write queued before it; resolves or rejects with its outcome. With
   * none queued or running, `fn` starts at once, in the caller's turn (so that a leader's log
   * write is under way before the appends it sends are flushed to the sockets).
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    let next: Promise<T>;
    if (this.writes > 0) next = this.tail.then(fn, fn);
    else {
      // A promise `fn` returns is passed on as is (no wrapper, no extra microtasks).
      try {
        next = Promise.resolve(fn());
      } catch (err) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what `fn` threw, as an async function would pass it on
        next = Promise.reject(err);
      }
    }
    this.writes++;
    this.tail = next.then(this.settled, this.settled);
    return next;
  }

  /** Resolves once every queued write has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/** What the Ready loop hands to the rest of the replica, in the order it does so. */
export interface ReadyLoopHooks {
  /** Step 0: the leader or role changed. */
  softState(ss: SoftState, hs: HardState | undefined): void;
  /** Step 1 done: `entries` are durable (the replica notes where its own requests landed). */
  persisted(entries: readonly Entry[], hs: HardState | undefined): void;
  /**
   * Step 3: queue a received snapshot and the committed entries for the state machine, in
   * order; the promise resolves once they are applied (or applying stopped).
   */
  apply(snapshot: Snapshot | undefined, committed: Entry[]): Promise<void>;
  /** ReadIndex answers for this Ready. */
  readStates(rs: readonly ReadState[]): void;
  /** Step 4 done: the node has advanced past this Ready. */
  advanced(): void;
  /** The duration of one synced write (`mustSync`), in seconds; unsynced writes are not observed. */
  observeWrite(seconds: number): void;
  /** `messages` were just handed to the transport (for round-trip timing). */
  sent(messages: readonly Message[]): void;
  /** A snapshot to `to` could not be read for sending. */
  snapshotFailed(to: number): void;
  /** Captures the state machine's bytes to send a snapshot by reference (absent: the state machine cannot). */
  materializeSnapshot?: MaterializeSnapshot | undefined;
  /** A storage write failed: the loop stops and the replica must stop. */
  fatal(err: unknown): void;
}

/** The collaborators of a {@link ReadyLoop}. */
export interface ReadyLoopDeps {
  /** The node whose Readies are handled. */
  node: RaftNode;
  /** Where Readies are persisted. */
  storage: Storage;
  /** Where messages are sent. */
  transport: Transport;
  /** Serializes writes with the snapshotter's. */
  writer: StorageWriter;
  /** Times the writes. */
  clock: Clock;
  /** Hooks into the replica. */
  hooks: ReadyLoopHooks;
  /** The node's `maxSizePerMsg`: appends to a peer are merged up to it (see {@link coalesceMessages}). */
  maxSizePerMsg: number;
}

/**
 * The one place that obeys the {@link Ready} contract (etcd doc.go, steps 1–4; thesis §10.2.1):
 *
 * 0. report the soft state;
 * 1. send `messages` at once (a leader's appends go out while its own write is in flight),
 *    those to the follower that forwarded the entries first (see {@link waitingPeer});
 * 2. persist the hard state, entries and snapshot with one `storage.save`, and await it;
 * 3. only then send `persistedMessages` (votes and append acknowledgements; a follower holds
 *    back its acknowledgement of a commit-only append, see {@link CommitHold}), and hand the
 *    snapshot and `committedEntries` to the apply queue, which applies them in order
 *    (committed entries that were already durable before this Ready go to the queue before
 *    step 2: only entries of this Ready's own write must wait for it);
 * 4. `advance()`.
 *
 * Applying is decoupled from the loop (as in etcdserver): a slow state machine delays only
 * application, never replication; back-pressure comes from `maxPendingApply` instead.
 *
 * Invariant: at most one Ready is outstanding (between `ready()` and `advance()`), and at most
 * one drain of the loop runs at a time.
 */
export class ReadyLoop {
  private readonly node: RaftNode;
  private readonly storage: Storage;
  private readonly transport: Transport;
  private readonly writer: StorageWriter;
  private readonly clock: Clock;
  private readonly hooks: ReadyLoopHooks;
  private readonly maxSizePerMsg: number;
  private running: Promise<void> | undefined = undefined;
  private stopped = false;
  private leading = false;
  /** Messages held for the event loop's next check phase (see `handle`); they go before any sent later. */
  private held: Message[] = [];
  /** Commit-only appends to followers that wait on none of the entries committed, or a follower's acknowledgements of them (see {@link CommitHold}). */
  private readonly commitHold = new CommitHold();
  private holdTimer = false;

  /** @param deps - the node, storage, transport, shared writer, clock, and hooks into the replica. */
  constructor(deps: ReadyLoopDeps) {
    this.node = deps.node;
    this.storage = deps.storage;
    this.transport = deps.transport;
    this.writer = deps.writer;
    this.clock = deps.clock;
    this.hooks = deps.hooks;
    this.maxSizePerMsg = deps.maxSizePerMsg;
  }

  /**
   * Makes sure the loop drains whatever is ready; cheap to call after every input. The drain
   * starts after the microtasks already queued, so the proposals and messages of one burst
   * (say, the callers woken by one batch of applied entries proposing again) share one Ready:
   * one write, one append per follower.
   */
  schedule(): void {
    if (this.running !== undefined || this.stopped) return;
    if (!this.node.hasReady()) return;
    this.running = Promise.resolve().then(this.startDrain).finally(this.drained);
  }

  // Made once, not per drain (a drain runs for nearly every message and proposal).
  private readonly startDrain = (): Promise<void> => this.drain();
  private readonly again = (): void => this.schedule();
  private readonly drained = (): void => {
    this.running = undefined;
    // Input that arrived after the drain's last hasReady() check but before this callback
    // (a message delivered in a microtask, say) found the loop running: drain it in the
    // next turn of the event loop (the clock's `soon`; a virtual clock's next millisecond),
    // not at the next tick, and never in this turn, so that members answering each other
    // in microtasks cannot starve everything else.
    if (!this.stopped && this.node.hasReady()) {
      if (this.clock.soon !== undefined) this.clock.soon(this.again);
      else after(this.clock, 1, this.again);
    }
  };

  /** Stops the loop; resolves once the Ready in progress (if any) is fully handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.node.hasReady()) await this.handle(this.node.ready());
    } catch (err) {
      this.stopped = true;
      this.hooks.fatal(err);
    }
  }

  private async handle(rd: Ready): Promise<void> {
    const h = this.hooks;
    if (rd.softState !== undefined) {
      this.leading = rd.softState.raftState === StateType.Leader;
      this.commitHold.reset();
      h.softState(rd.softState, rd.hardState);
    }
    const confChange = hasConfChange(rd.committedEntries);
    let messages: readonly Message[] = rd.messages;
    if (this.leading && messages.length > 0) {
      this.commitHold.noteLeaderAcks(messages);
      if (rd.entries.length === 0 && rd.committedEntries.length > 0 && rd.snapshot === undefined && !confChange) {
        messages = this.commitHold.take(messages, rd.committedEntries);
        this.startHold();
      }
    }
    if (messages.length > 0) {
      // A leader's Ready that only commits requests of its own: no follower waits on its
      // messages (they carry the commit index), while this member's callers wait on the apply
      // that follows. The messages go out in the event loop's next check phase, after the
      // answers (their socket writes would otherwise come first, each able to wake a peer
      // that takes the core). They still go before anything sent later.
      const first = waitingPeer(rd.entries, rd.committedEntries);
      if (this.leading && first === this.node.id && rd.entries.length === 0 && this.clock.soon !== undefined && onlyProposedBy(rd.committedEntries, first)) {
        if (this.held.length === 0) this.clock.soon(this.sendHeld);
        for (const m of messages) this.held.push(m);
      } else {
        this.send(messages, first);
      }
    }
    // Committed entries that were durable here before this Ready (below its first new entry;
    // every earlier Ready's write has completed) need not wait for this Ready's write: a
    // leader's commit Ready persists only the new commit index, so its proposers are answered
    // while that write is still in flight. (Conf changes keep the strict order.) When this
    // Ready writes entries, their write starts first: it is on the path of the request the
    // entries carry, and the apply's work overlaps it.
    let committed = rd.committedEntries;
    let early: Entry[] | undefined;
    if (rd.snapshot === undefined && committed.length > 0 && !confChange) {
      const firstNew = rd.entries[0]?.index ?? Infinity;
      let k = 0;
      while (k < committed.length && committed[k]!.index < firstNew) k++;
      if (k > 0) {
        early = k === committed.length ? committed : committed.slice(0, k);
        committed = k === committed.length ? [] : committed.slice(k);
      }
    }
    if (early !== undefined && rd.entries.length === 0) void h.apply(rd.snapshot, early);
    if (rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined) {
      const start = this.clock.now();
      const req = { hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, sync: rd.mustSync };
      const saved = this.writer.run(() => this.storage.save(req));
      if (early !== undefined && rd.entries.length > 0) void h.apply(rd.snapshot, early);
      await saved;
      // Only synced writes are flushes (etcd's wal_fsync_duration counts the same ones); a
      // commit-only hard state is held in memory by WalStorage, and a storage without fsync flushes none.
      if (req.sync && this.storage.noSync !== true) h.observeWrite((this.clock.now() - start) / 1000);
    }
    h.persisted(rd.entries, rd.hardState);
    if (this.stopped) return; // a crash here: nothing durable depends on what follows
    let persisted: readonly Message[] = rd.persistedMessages;
    if (persisted.length > 0 && !this.leading && early !== undefined && rd.entries.length === 0) {
      persisted = this.commitHold.takeAcks(persisted); // a follower's acknowledgements of a commit-only append
      this.startHold();
    }
    if (persisted.length > 0) this.send(persisted);
    if (rd.snapshot !== undefined || committed.length > 0) {
      const applied = h.apply(rd.snapshot, committed);
      // As etcd's server does: when a conf change is committed, wait until it is applied
      // before advancing. Otherwise the node would count it applied while its configuration
      // is not in effect yet: a leader could accept the next change and commit it under the
      // old quorum, and a follower could count votes of removed members.
      if (confChange) await applied;
    }
    if (rd.readStates.length > 0) h.readStates(rd.readStates);
    this.node.advance(rd);
    h.advanced();
  }

  /** Starts the hold's timer if messages are held and it is not running. */
  private startHold(): void {
    if (this.commitHold.size === 0 || this.holdTimer) return;
    this.holdTimer = true;
    after(this.clock, COMMIT_HOLD_MS, this.endHold);
  }

  /** Ends a hold: the messages still held go out (after any held for the check phase). */
  private readonly endHold = (): void => {
    this.holdTimer = false;
    if (this.stopped || this.commitHold.size === 0) return;
    this.send(this.commitHold.release());
  };

  private readonly sendHeld = (): void => {
    const held = this.held;
    if (held.length === 0) return;
    this.held = [];
    if (!this.stopped) this.transmit(held, 0);
  };

  /** Sends `messages` (after any held ones), those to `first` (the peer that waits on them most; 0: none) ahead of the rest. */
  private send(messages: readonly Message[], first = 0): void {
    this.sendHeld();
    this.transmit(messages, first);
  }

  private transmit(messages: readonly Message[], first: number): void {
    // A follower relays MsgProp, MsgReadIndex and MsgTransferLeader to its leader with the
    // original sender in `from` (as etcd does), but a transport carries only this member's
    // own messages (receivers check `from` against the connection). A relayed proposal is
    // sent as our own (the leader does not answer proposals, so `from` does not matter);
    // relayed reads and transfers are dropped like lost messages and their requesters time
    // out (the leader would answer the wrong member).
    const id = this.node.id;
    let out: Message[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.from === id && out === undefined) continue;
      out ??= messages.slice(0, i);
      if (m.from === id) out.push(m);
      else if (m.type === MessageType.MsgProp) out.push({ ...m, from: id });
    }
    let own = out ?? messages;
    if (own.some(isReferencedSnapshot)) {
      for (const m of own) if (isReferencedSnapshot(m)) sendReferencedSnapshot(m, this.storage, this.transport, () => this.hooks.snapshotFailed(m.to), this.hooks.materializeSnapshot);
      own = own.filter((m) => !isReferencedSnapshot(m));
    }
    own = this.commitHold.settle(own);
    if (own.length === 0) return;
    own = peerFirst(coalesceMessages(own, this.maxSizePerMsg), first);
    this.transport.send(own);
    this.hooks.sent(own);
  }

}
