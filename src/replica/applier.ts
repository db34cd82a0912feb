import { ConfChangeType, asV2, decodeConfChange, decodeConfChangeV2, type ConfChange } from '../raft/conf-change.js';
import { EntryType, type ConfState, type Entry, type Snapshot } from '../raft/entry.js';
import type { RaftNode } from '../raft/raft-node.js';
import type { Clock } from './clock.js';
import { ApplyFailedError, StoppedError } from './errors.js';
import { decodeAddress, decodeEnvelope, type Envelope } from './envelope.js';
import type { Members } from './membership.js';
import type { Proposals } from './proposals.js';
import { SessionTable } from './sessions.js';
import type { Storage } from '../storage/storage.js';
import { decodeSnapshotPayload, type StreamedSnapshotPayload } from './snapshot-payload.js';
import { configDiff } from './joint-membership.js';
import { openSnapshotPayload, restoreStateMachine } from './snapshot-io.js';
import type { Snapshotter } from './snapshots.js';
import type { Command, StateMachine } from './state-machine.js';

type Task = { kind: 'entries'; entries: Entry[] } | { kind: 'snapshot'; snapshot: Snapshot } | { kind: 'call'; run: () => Promise<void>; stop: () => void };

/** What the {@link Applier} reports back to the replica. */
export interface ApplierHooks {
  /** Entries up to `index` are applied. */
  applied(index: number, commands: number, seconds: number): void;
  /** The command at `index` was dropped as a duplicate (see `sessions.ts`). */
  duplicate(index: number): void;
  /** One state machine `apply` call took `ms` milliseconds of the clock. */
  applyTook(ms: number): void;
  /** A conf change was applied: `id` was added (as a learner or voter) or removed. */
  memberChanged(kind: 'added' | 'removed', id: number, address: string, learner: boolean): void;
  /** A snapshot was created locally or restored from the leader. */
  snapshot(kind: 'created' | 'restored', index: number, seconds: number): void;
  /** A non-fatal error (a malformed conf change entry, a failed local snapshot). */
  error(err: Error): void;
  /**
   * The state machine failed to apply an entry or restore a snapshot: the applier has stopped
   * with `appliedIndex` before it, and the replica must stop too (see `state-machine.ts`).
   */
  fatal(err: ApplyFailedError): void;
}

/** Whether `env` is a request of this replica's current incarnation; returns its seq. */
export type OwnRequest = (env: Envelope | undefined) => number | undefined;

/**
 * The apply queue: applies snapshots and committed entries in log order, one task at a time,
 * off the Ready loop. Commands go to the state machine in batches (skipping those at or below
 * the state machine's own applied index, see `state-machine.ts`); conf changes go to the
 * RaftNode and the address book; every applied entry is matched against pending requests.
 *
 * Exactly-once commands (thesis §6.3, see `sessions.ts`): every command entry, in log order,
 * goes through the session table, also one the state machine skips because it already holds
 * it (the node re-delivers the entries after the stored snapshot at every start, and the
 * table must be rebuilt from them). A command the table drops (a duplicate) never reaches the
 * state machine; its index still counts as applied, and it settles no request: its proposer
 * was answered by the first copy, or, when that copy reached this member inside a snapshot,
 * its request times out (outcome unknown).
 *
 * Invariant: `appliedIndex` only grows, and equals the index of the last entry (or snapshot)
 * whose effects are in the state machine, the RaftNode configuration and the address book.
 * Invariant: no entry is ever skipped. When the state machine throws, the applier stops at
 * the failed entry (`fatal` hook) instead of going on without it.
 */
export class Applier {
  /** The index of the last applied entry or snapshot. */
  appliedIndex: number;
  /** Whether a snapshot from the leader is being restored (etcd's `snapshot_apply_in_progress`). */
  restoring = false;

  /** The index of the last entry whose effects the state machine holds (read it between applies, see {@link Applier.between}). */
  get stateIndex(): number { return Math.max(this.appliedIndex, this.deps.smApplied); }

  /** Whether a local snapshot is being taken (see `Snapshotter.saving`). */
  get snapshotting(): boolean { return this.deps.snapshotter.saving; }
  private readonly queue: Task[] = [];
  /** Tasks queued so far, and tasks handled so far (running counts, for the waiters). */
  private enqueued = 0;
  private handled = 0;
  /** Request settlements that wait for the Ready loop's next `advance`. */
  private readonly afterAdvance: (() => void)[] = [];
  /** Callers of `push` waiting until the tasks queued up to theirs are handled. */
  private readonly waiters: { after: number; resolve: () => void }[] = [];
  private running = false;
  /** The apply run in progress (or the last one), for {@link Applier.idle}. */
  private current: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly deps: {
    node: RaftNode;
    storage: Storage;
    stateMachine: StateMachine;
    smApplied: number;
    proposals: Proposals;
    sessions: SessionTable;
    members: Members;
    snapshotter: Snapshotter;
    clock: Clock;
    own: OwnRequest;
    hooks: ApplierHooks;
  };

  /** @param deps - collaborators; `smApplied` is the state machine's `appliedIndex()` at start. */
  constructor(deps: Applier['deps'], appliedIndex: number) {
    this.deps = deps;
    this.appliedIndex = appliedIndex;
  }

  /** The number of entries queued but not yet applied. */
  get backlog(): number {
    let n = 0;
    for (const t of this.queue) n += t.kind === 'entries' ? t.entries.length : t.kind === 'snapshot' ? 1 : 0;
    return n;
  }

  /**
   * Runs `fn` on the apply queue after the tasks queued before it (no `apply` runs until its
   * promise settles) and settles with its outcome; rejects with `StoppedError` if stopped first.
   */
  between<T>(fn: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new StoppedError('the replica is stopping'));
    return new Promise<T>((resolve, reject) => {
      const run = (): Promise<void> => fn().then(resolve, reject);
      this.queue.push({ kind: 'call', run, stop: () => reject(new StoppedError('the replica is stopping')) });
      this.enqueued++;
      if (!this.running) this.current = this.run();
    });
  }

  /**
   * Queues a received snapshot (first) and committed entries. The promise resolves once they
   * are applied, or once the applier stops; it never rejects (failures stop the replica).
   */
  push(snapshot: Snapshot | undefined, entries: Entry[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (snapshot !== undefined) this.queue.push({ kind: 'snapshot', snapshot });
    if (entries.length > 0) this.queue.push({ kind: 'entries', entries });
    this.enqueued += (snapshot !== undefined ? 1 : 0) + (entries.length > 0 ? 1 : 0);
    const after = this.enqueued;
    const done = new Promise<void>((resolve) => this.waiters.push({ after, resolve }));
    this.wake();
    if (!this.running) this.current = this.run();
    return done;
  }

  /**
   * Settles the membership request of the conf change at `index` once the Ready loop has
   * advanced past it: only then does the RaftNode count it applied, so a caller that proposes
   * the next change at once is not refused as "another change is pending".
   */
  private resolveAfterAdvance(index: number, seq: number | undefined): void {
    this.afterAdvance.push(() => this.deps.proposals.applied(index, seq, undefined));
  }

  /** Runs what waited for the RaftNode to advance (called by the Ready loop after `advance`). */
  flushAfterAdvance(): void {
    if (this.afterAdvance.length === 0) return;
    const fns = this.afterAdvance.splice(0);
    for (const fn of fns) fn();
  }

  /** Resolves the waiters whose tasks have all been handled (or all of them once stopped). */
  private wake(): void {
    while (this.waiters.length > 0 && (this.stopped || this.waiters[0]!.after <= this.handled)) this.waiters.shift()!.resolve();
  }

  /**
   * Resolves once no task is in progress and no snapshot is being stored (after
   * {@link Applier.stop}: once the last task and the snapshot in flight have finished).
   */
  async idle(): Promise<void> {
    await this.current;
    await this.deps.snapshotter.idle();
  }

  /**
   * Stops applying; a task in progress finishes on its own, nothing further starts. A snapshot
   * in flight is finished (as etcd waits for its snapshot goroutine): {@link Applier.idle} waits for it.
   */
  stop(): void {
    this.stopped = true;
    for (const t of this.queue.splice(0)) if (t.kind === 'call') t.stop();
    this.wake();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      // A snapshot that came due while another was in flight (see `maybeSnapshot`). Checked
      // before awaiting, so that a run with none due starts applying in this turn.
      if (this.snapshotDue()) await this.maybeSnapshot();
      for (let t = this.queue.shift(); t !== undefined && !this.stopped; t = this.queue.shift()) {
        let counted = false;
        try {
          if (t.kind === 'snapshot') await this.restore(t.snapshot);
          else if (t.kind === 'call') await t.run();
          else await this.applyEntries(t.entries);
          counted = true;
          this.handled++;
          this.wake();
          if (this.snapshotDue()) await this.maybeSnapshot();
        } catch (err) {
          if (err instanceof ApplyFailedError) {
            this.stop();
            this.deps.hooks.fatal(err);
            return;
          }
          if (!counted) {
            this.handled++;
            this.wake();
          }
          this.deps.hooks.error(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.running = false;
      // A snapshot stored while this run was ending may have left another due.
      this.afterSnapshot();
    }
  }

  private async restore(snap: Snapshot): Promise<void> {
    const d = this.deps;
    const { index } = snap.metadata;
    if (index <= this.appliedIndex) return;
    d.snapshotter.abandon(); // this replaces whatever a snapshot in flight would store
    const start = d.clock.now();
    this.restoring = true;
    try {
      await this.restoreState(snap);
    } finally {
      this.restoring = false;
    }
    d.hooks.snapshot('restored', index, (d.clock.now() - start) / 1000);
    d.hooks.applied(index, 0, 0);
  }

  /** Restores the state machine, the members and the sessions from `snap` (see {@link Applier.restore}). */
  private async restoreState(snap: Snapshot): Promise<void> {
    const d = this.deps;
    const { index, term } = snap.metadata;
    let payload: StreamedSnapshotPayload;
    let sessions: SessionTable;
    try {
      payload = await openSnapshotPayload(snap, d.storage);
      // Only the member that took one stores a snapshot by reference; it is never sent as one.
      if (payload.byReference !== undefined) throw new TypeError('a snapshot by reference carries no state to restore');
      sessions = SessionTable.decode(payload.sessions ?? new Uint8Array(0));
    } catch (err) {
      throw new ApplyFailedError(index, `the header of the snapshot at index ${index} is unreadable or malformed`, { cause: err });
    }
    // A snapshot by reference comes with a newer state (`SnapshotPayload.state`).
    const state = payload.state ?? { index, term };
    try {
      await restoreStateMachine(d.stateMachine, state, payload.chunks);
    } catch (err) {
      throw new ApplyFailedError(index, `the state machine failed to restore the snapshot at index ${index}`, { cause: err });
    }
    d.members.reset(payload.book, snap.metadata.confState);
    d.sessions.reset(sessions);
    // Entries up to a newer state's index reach the session table and configuration only (as after a restart).
    d.smApplied = state.index;
    this.appliedIndex = index;
    d.snapshotter.lastIndex = Math.max(d.snapshotter.lastIndex, index);
  }

  private async applyEntries(entries: Entry[]): Promise<void> {
    const d = this.deps;
    const start = d.clock.now();
    // The commands of a run of normal entries, and their requests (this replica's own, else undefined).
    let cmds: Command[] = [];
    let seqs: (number | undefined)[] = [];
    let commands = 0;
    for (const e of entries) {
      if (this.stopped) return;
      if (e.index <= this.appliedIndex) continue;
      if (e.type === EntryType.EntryNormal) {
        const env = decodeEnvelope(e.data);
        // The table sees every command, including those the state machine already holds.
        const first = env === undefined || d.sessions.maybeApply(env);
        if (e.data.length === 0) {
          d.proposals.applied(e.index, undefined, undefined);
        } else if (e.index <= d.smApplied || !first) {
          // Held already (a restart, a state restored past the snapshot) or a duplicate: no result; an own request times out, unknown.
          d.proposals.skipped(e.index, d.own(env));
          if (e.index > d.smApplied) d.hooks.duplicate(e.index);
        } else {
          const cmd: Command = { index: e.index, term: e.term, data: env === undefined ? e.data : env.payload };
          // Usually a run of one: one-element arrays (a push into `[]` reserves 17 slots).
          if (cmds.length === 0) {
            cmds = [cmd];
            seqs = [d.own(env)];
          } else {
            cmds.push(cmd);
            seqs.push(d.own(env));
          }
        }
        continue;
      }
      if (cmds.length > 0) {
        commands += cmds.length;
        await this.applyCommands(cmds, seqs);
        cmds = [];
        seqs = [];
      }
      this.applyConfChange(e);
    }
    if (cmds.length > 0) {
      commands += cmds.length;
      await this.applyCommands(cmds, seqs);
    }
    const last = entries[entries.length - 1];
    if (last !== undefined && last.index > this.appliedIndex) this.appliedIndex = last.index;
    d.hooks.applied(this.appliedIndex, commands, (d.clock.now() - start) / 1000);
  }

  /** Applies `cmds` in one state machine batch and settles their requests (`seqs`, one per command). */
  private async applyCommands(cmds: Command[], seqs: readonly (number | undefined)[]): Promise<void> {
    const d = this.deps;
    let results: unknown[];
    const start = d.clock.now();
    try {
      results = await d.stateMachine.apply(cmds);
      d.hooks.applyTook(d.clock.now() - start);
    } catch (err) {
      // Nothing of the batch counts as applied: skipping it would make this member diverge.
      const first = cmds[0]!.index;
      const last = cmds[cmds.length - 1]!.index;
      const e = new ApplyFailedError(first, `the state machine failed to apply entries ${first}..${last}; the replica stops`, { cause: err });
      for (const seq of seqs) if (seq !== undefined) d.proposals.fail(seq, e);
      throw e;
    }
    for (let i = 0; i < cmds.length; i++) {
      const index = cmds[i]!.index;
      d.proposals.applied(index, seqs[i], results[i]);
      this.appliedIndex = index;
    }
    d.smApplied = this.appliedIndex;
  }

  private applyConfChange(e: Entry): void {
    const d = this.deps;
    let cc: ConfChange;
    try {
      if (e.type === EntryType.EntryConfChange) cc = decodeConfChange(e.data);
      else {
        const v2 = decodeConfChangeV2(e.data);
        const before = d.node.status().config;
        const after = d.node.applyConfChange(v2);
        const env = decodeEnvelope(v2.context);
        this.appliedIndex = e.index;
        this.applyMemberDiff(before, after, env === undefined ? new Map() : decodeSnapshotPayload(env.payload).book);
        this.resolveAfterAdvance(e.index, d.own(env));
        return;
      }
    } catch (err) {
      d.proposals.applied(e.index, undefined, undefined);
      this.appliedIndex = e.index;
      d.hooks.error(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const env = decodeEnvelope(cc.context);
    const address = env === undefined ? '' : decodeAddress(env.payload);
    try {
      d.node.applyConfChange(asV2(cc));
    } catch (err) {
      d.hooks.error(err instanceof Error ? err : new Error(String(err)));
    }
    this.appliedIndex = e.index;
    switch (cc.type) {
      case ConfChangeType.ConfChangeAddNode:
      case ConfChangeType.ConfChangeAddLearnerNode:
        d.members.set(cc.nodeId, address);
        d.snapshotter.requestAfterConfChange();
        d.hooks.memberChanged('added', cc.nodeId, address, cc.type === ConfChangeType.ConfChangeAddLearnerNode);
        break;
      case ConfChangeType.ConfChangeRemoveNode:
        d.sessions.removeProposer(cc.nodeId);
        d.hooks.memberChanged('removed', cc.nodeId, address, false);
        break;
      case ConfChangeType.ConfChangeUpdateNode:
        d.members.set(cc.nodeId, address);
        break;
    }
    this.resolveAfterAdvance(e.index, d.own(env));
  }

  /**
   * Brings the address book and the replica in step with a joint (V2) change: members that
   * joined or were promoted are added (their addresses come in the entry's context), members
   * that left every half of the configuration are removed. A voter leaving through a joint
   * configuration is removed when the joint configuration is left, not when it is entered.
   */
  private applyMemberDiff(before: ConfState, after: ConfState, book: ReadonlyMap<number, string>): void {
    const d = this.deps;
    const { added, removed } = configDiff(before, after);
    for (const { id, learner } of added) {
      d.members.set(id, book.get(id) ?? '');
      d.snapshotter.requestAfterConfChange();
      d.hooks.memberChanged('added', id, d.members.addresses().get(id) ?? '', learner);
    }
    for (const id of removed) {
      d.sessions.removeProposer(id);
      d.hooks.memberChanged('removed', id, '', false);
    }
  }

  /**
   * Takes a snapshot when one is due. It holds the queue only while the state is captured (see
   * `Snapshotter.take`); the rest goes on in the background, and once that is over a snapshot
   * that came due meanwhile (a forced one after a conf change) is taken when the queue is idle.
   * Never throws: a failed snapshot is reported with the `error` hook.
   */
  private snapshotDue(): boolean {
    return !this.stopped && this.deps.snapshotter.due(this.appliedIndex);
  }

  private async maybeSnapshot(): Promise<void> {
    const d = this.deps;
    if (!this.snapshotDue()) return;
    const start = d.clock.now();
    const index = this.appliedIndex;
    try {
      const { stored } = await d.snapshotter.take(index);
      stored.then(
        () => {
          d.hooks.snapshot('created', index, (d.clock.now() - start) / 1000);
          this.afterSnapshot();
        },
        (err: unknown) => {
          this.snapshotFailed(err);
          this.afterSnapshot();
        },
      );
    } catch (err) {
      this.snapshotFailed(err);
    }
  }

  /** Starts a run for a snapshot that came due while one was in flight, when nothing else runs. */
  private afterSnapshot(): void {
    if (!this.running && this.snapshotDue()) this.current = this.run();
  }

  private snapshotFailed(err: unknown): void {
    const code = (err as { code?: unknown }).code;
    // A snapshot from the leader may have overtaken this one, or it was abandoned: not an error.
    if (code === 'ERR_SNAP_OUT_OF_DATE' || code === 'ERR_COMPACTED' || code === 'ERR_STOPPED') return;
    this.deps.hooks.error(err instanceof Error ? err : new Error(String(err)));
  }
}
