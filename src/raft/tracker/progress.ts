import { Inflights } from './inflights.js';
import { ProgressState, ProgressStateName } from './state.js';

/** The fields a new {@link Progress} starts from. */
export interface ProgressInit {
  /** The highest index known to match the leader's log. */
  match: number;
  /** The next index to send. */
  next: number;
  /** The in-flight window; owned by the new progress from now on. */
  inflights: Inflights;
  /** Whether the peer is a learner (default false). */
  isLearner?: boolean;
  /** Whether the peer was heard from recently (default false). */
  recentActive?: boolean;
}

/**
 * A leader's view of one follower's replication progress (etcd's `tracker.Progress`).
 * Unlike etcd, every state transition lives in this class; the leader only calls these
 * methods and reads the fields.
 *
 * Transitions: `Probe → Replicate` after an accepted append (`becomeReplicate`);
 * `Replicate → Probe` after a rejection or an unreachable report (`becomeProbe`);
 * `Probe|Replicate → Snapshot` when the needed entries are compacted (`becomeSnapshot`);
 * `Snapshot → Probe` when the snapshot is reported done or failed (`becomeProbe`), and
 * `Snapshot → Replicate` when an append response shows the follower caught up.
 *
 * Invariant: `0 <= match < next`.
 * Invariant: `inflights` is empty unless `state` is `StateReplicate`.
 * Invariant: `pendingSnapshot` is 0 unless `state` is `StateSnapshot`.
 */
export class Progress {
  /** The highest index known to match the leader's log. */
  match: number;
  /** The next index to send; entries in `(match, next)` are already in flight. */
  next: number;
  /** The highest commit index sent to the follower (in an append or a heartbeat). */
  sentCommit = 0;
  /** How the leader currently replicates to this follower. */
  state: ProgressState = ProgressState.StateProbe;
  /**
   * In `StateSnapshot`: the index of the snapshot being sent (the leader's last index
   * when it decided a snapshot was needed); otherwise 0.
   */
  pendingSnapshot = 0;
  /**
   * Whether the follower was heard from since the last check-quorum round. Always true for
   * the leader itself.
   */
  recentActive: boolean;
  /**
   * Whether sending appends is paused: in `StateProbe` after one append was sent and until
   * the follower answers; in `StateReplicate` while the in-flight window is full.
   */
  msgAppFlowPaused = false;
  /** The appends in flight (used in `StateReplicate` only). */
  inflights: Inflights;
  /** Whether this peer is a learner (receives the log, never votes). */
  isLearner: boolean;

  /** @param init - the starting match/next indexes, window and flags; state starts as `StateProbe`. */
  constructor(init: ProgressInit) {
    this.match = init.match;
    this.next = init.next;
    this.inflights = init.inflights;
    this.isLearner = init.isLearner ?? false;
    this.recentActive = init.recentActive ?? false;
  }

  /** Moves to `state`, unpausing, clearing `pendingSnapshot` and emptying the in-flight window. */
  resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /**
   * Moves to `StateProbe`. `next` restarts at `match + 1`, or, when leaving
   * `StateSnapshot`, just after the snapshot if that is further (the snapshot was sent, so
   * probing resumes after it). `sentCommit` is lowered to at most `next - 1`.
   */
  becomeProbe(): void {
    if (this.state === ProgressState.StateSnapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.StateProbe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.StateProbe);
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  /** Moves to `StateReplicate` with `next = match + 1`. */
  becomeReplicate(): void {
    this.resetState(ProgressState.StateReplicate);
    this.next = this.match + 1;
  }

  /**
   * Moves to `StateSnapshot` while a snapshot at `snapshotIndex` is sent:
   * `pendingSnapshot = snapshotIndex`, `next = snapshotIndex + 1`, and `sentCommit =
   * snapshotIndex` (a snapshot carries only committed state).
   */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.StateSnapshot);
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
    this.sentCommit = snapshotIndex;
  }

  /**
   * Records that an append carrying `entries` entries (`bytes` payload bytes) starting at
   * `next` was sent. In `StateReplicate`, `next` advances, the message enters the window,
   * and the flow pauses while the window is full. In `StateProbe`, a non-empty append
   * pauses the flow until the follower answers.
   *
   * @throws RangeError in `StateSnapshot`, where no appends are sent.
   */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case ProgressState.StateReplicate:
        if (entries > 0) {
          this.next += entries;
          this.inflights.add(this.next - 1, bytes);
        }
        // A full window pauses the flow; a message acknowledged later reopens it.
        this.msgAppFlowPaused = this.inflights.full();
        return;
      case ProgressState.StateProbe:
        if (entries > 0) this.msgAppFlowPaused = true;
        return;
      case ProgressState.StateSnapshot:
        throw new RangeError(`sending append in unhandled state ${ProgressStateName[this.state]}`);
    }
  }

  /**
   * Whether sending commit index `index` may advance the follower's commit index: it is
   * above what was already sent, and what was sent does not already cover everything up
   * to `next - 1`.
   */
  canBumpCommit(index: number): boolean {
    return index > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** Records that commit index `commit` was sent to the follower. */
  setSentCommit(commit: number): void {
    this.sentCommit = commit;
  }

  /**
   * Handles an acknowledgement of index `n` (an accepted append). Returns false, changing
   * nothing, when `n` is not above `match` (a stale or duplicate response). Otherwise
   * raises `match` to `n`, `next` to at least `n + 1`, and unpauses the flow.
   */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    if (this.next < n + 1) this.next = n + 1;
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * Handles a rejection of the append whose previous index was `rejected`, with the
   * follower's hint `matchHint` of where its log may match. Returns false, changing
   * nothing, for a stale rejection: in `StateReplicate` one at or below `match`; in
   * `StateProbe` one that does not answer the outstanding probe (`rejected !== next - 1`).
   *
   * Otherwise lowers `next`: in `StateReplicate` straight to `match + 1`; in `StateProbe`
   * to `max(min(rejected, matchHint + 1), match + 1)`, and unpauses the flow so the next
   * probe goes out. `sentCommit` is lowered to at most `next - 1` (etcd v3.6).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.StateReplicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    // Probes go out one at a time, so a genuine rejection answers the latest one.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * Whether sending appends to this follower is throttled: always in `StateSnapshot`,
   * otherwise while the flow is paused (a probe is outstanding, or the window is full).
   */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.StateProbe:
      case ProgressState.StateReplicate:
        return this.msgAppFlowPaused;
      case ProgressState.StateSnapshot:
        return true;
    }
  }

  /** A deep copy: the in-flight window is copied too. */
  clone(): Progress {
    const c = new Progress({
      match: this.match,
      next: this.next,
      inflights: this.inflights.clone(),
      isLearner: this.isLearner,
      recentActive: this.recentActive,
    });
    c.sentCommit = this.sentCommit;
    c.state = this.state;
    c.pendingSnapshot = this.pendingSnapshot;
    c.msgAppFlowPaused = this.msgAppFlowPaused;
    return c;
  }

  /**
   * One line in etcd's format, for example
   * `StateReplicate match=5 next=6 learner paused pendingSnap=3 inactive inflight=2[full]`.
   */
  toString(): string {
    let s = `${ProgressStateName[this.state]} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.count();
    if (n > 0) {
      s += ` inflight=${n}`;
      if (this.inflights.full()) s += '[full]';
    }
    return s;
  }
}

/**
 * Formats a progress map as etcd's `ProgressMap.String()`: one `id: progress` line per
 * peer in ascending id order, each ending with a newline.
 */
export function describeProgressMap(m: ReadonlyMap<number, Progress>): string {
  const ids = [...m.keys()].sort((a, b) => a - b);
  let out = '';
  for (const id of ids) out += `${id}: ${m.get(id)!.toString()}\n`;
  return out;
}
