import { ProposalDroppedError } from '../raft/errors.js';
import { AbortedError, TimeoutError, TooManyRequestsError } from './errors.js';
import { ChurnMap } from '../churn-map.js';

/** Why a request failed, as counted by the `raft_proposals_failed_total` metric. */
export type FailureReason = 'dropped' | 'timeout' | 'stopped' | 'too_many_requests' | 'too_large' | 'not_leader' | 'refused' | 'invalid' | 'error';

/** Counts failures by reason (implemented by the replica's metrics). */
export type FailureSink = (reason: FailureReason) => void;

/** Counts ReadIndex rounds that failed or were slow (etcd's `read_indexes_failed` and `slow_read_indexes`). */
export interface ReadIndexSink {
  /** A read's ReadIndex round failed: refused (no leader, or by the node), or lost to a leader change. */
  failed(): void;
  /** A read's ReadIndex round timed out, or an answer came for a read no longer waiting for one. */
  slow(): void;
}

/** A read's ReadIndex round: not asked yet (waiting for a leader), asked of the node and unanswered, or lost to a leader change. */
const Round = { NotAsked: 0, Asked: 1, Lost: 2 } as const;
type Round = (typeof Round)[keyof typeof Round];

/** `addEventListener` options of a request's abort watch (made once). */
const ONCE = { once: true };

/**
 * A request waiting in a table, and the listener (`handleEvent`) that fails it when its
 * signal aborts: one object per request, no closures (the listener goes when it settles).
 */
class Waiter<T> {
  /** For proposals: the log index the entry was seen at in a Ready, or 0 while unknown; for reads: the confirmed read index, or 0 while waiting. */
  index = 0;
  /** For proposals: handed to a leader in a message (see {@link Proposals.forwarded}), which the network may deliver more than once. */
  forwarded = false;
  /** For reads: where its ReadIndex round is (see {@link Reads.asked}). */
  round: Round = Round.NotAsked;
  readonly table: { fail(seq: number, err: Error): void };
  readonly seq: number;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: T) => void;
  readonly reject: (err: Error) => void;

  constructor(table: Waiter<T>['table'], seq: number, deadline: number, signal: AbortSignal | undefined, resolve: (value: T) => void, reject: (err: Error) => void) {
    this.table = table;
    this.seq = seq;
    this.deadline = deadline;
    this.signal = signal;
    this.resolve = resolve;
    this.reject = reject;
    signal?.addEventListener('abort', this, ONCE);
  }

  /** The signal aborted: fails the request with `AbortedError`. */
  handleEvent(): void {
    this.table.fail(this.seq, new AbortedError(this.signal?.reason));
  }

  /** Stops watching the signal (the request settled). */
  done(): void {
    this.signal?.removeEventListener('abort', this);
  }
}

type Pending = Waiter<unknown>;
type PendingRead = Waiter<number>;

/** Maps a thrown error to the failure reason it counts as. */
export function failureReason(err: unknown): FailureReason {
  const code = (err as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'ERR_PROPOSAL_DROPPED':
      return 'dropped';
    case 'ERR_TIMEOUT':
      return 'timeout';
    case 'ERR_STOPPED':
      return 'stopped';
    case 'ERR_TOO_MANY_REQUESTS':
      return 'too_many_requests';
    case 'ERR_REQUEST_TOO_LARGE':
      return 'too_large';
    case 'ERR_INVALID_ARGUMENT':
      return 'invalid';
    case 'ERR_NOT_LEADER':
      return 'not_leader';
    case 'ERR_MEMBERSHIP_REFUSED':
      return 'refused';
    default:
      return 'error';
  }
}

/**
 * The requests (proposals and membership changes) this replica is waiting on, keyed by their
 * sequence number (see `envelope.ts`).
 *
 * Matching, in order of certainty:
 * - When this replica applies an entry whose envelope carries its own id, incarnation and a
 *   pending sequence number, that request resolves with the state machine's result.
 * - Whenever a Ready hands this replica an entry carrying one of its pending requests, the
 *   entry's index is noted ({@link Proposals.noteIndex}). If a *different* entry is later
 *   applied at that index, the request's entry was overwritten by a new leader and can never
 *   commit (by Log Matching, a given entry lives only at the index its leader gave it). A request
 *   this replica appended itself, as leader, is then rejected with `ProposalDroppedError`: no
 *   other copy of it exists. A request it forwarded to a leader is not: the network may have
 *   delivered its message twice (or a transport resent it), and a copy a later leader appended
 *   elsewhere may still commit. It waits for that copy, or for its deadline (an unknown outcome).
 * - A request whose entry this replica never saw (the proposal was lost before reaching a
 *   leader, or the entry was overwritten before it was replicated here) fails with
 *   `TimeoutError` at its deadline ({@link Proposals.sweep}): its outcome is then unknown.
 *
 * Invariant: every pending request has a deadline, so the map drains even if nothing applies.
 */
export class Proposals {
  private readonly pending = new ChurnMap<number, Pending>();
  private readonly byIndex = new ChurnMap<number, number>();
  private readonly onFailure: FailureSink;

  /** @param onFailure - called once for every request that fails. */
  constructor(onFailure: FailureSink) {
    this.onFailure = onFailure;
  }

  /** The number of pending requests. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers request `seq`, failing with `TimeoutError` after `deadline` (clock milliseconds)
   * and with `AbortedError` when `signal` aborts first.
   */
  add<T>(seq: number, deadline: number, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, new Waiter<unknown>(this, seq, deadline, signal, resolve as (v: unknown) => void, reject));
    });
  }

  /** Whether request `seq` is pending. */
  has(seq: number): boolean {
    return this.pending.has(seq);
  }

  /** Notes that request `seq` went to a leader as a message (this replica was not the leader): see the class comment. */
  forwarded(seq: number): void {
    const p = this.pending.get(seq);
    if (p !== undefined) p.forwarded = true;
  }

  /** Records that the entry of request `seq` was handed out at log `index` in a Ready. */
  noteIndex(seq: number, index: number): void {
    const p = this.pending.get(seq);
    if (p === undefined) return;
    if (p.index !== 0 && this.byIndex.get(p.index) === seq) this.byIndex.delete(p.index);
    p.index = index;
    this.byIndex.set(index, seq);
  }

  /**
   * Called for every applied entry, in log order. `seq` is the entry's request when this
   * replica proposed it (in its current incarnation), otherwise `undefined`.
   */
  applied(index: number, seq: number | undefined, result: unknown): void {
    this.skipped(index, seq);
    if (seq !== undefined) this.settle(seq, result);
  }

  /**
   * Called instead of {@link Proposals.applied} for an entry the session table dropped (a
   * duplicate command, see `sessions.ts`). It neither resolves nor rejects request `seq`: the
   * first copy of the command answered it, or, when that copy reached this replica inside a
   * snapshot, the request times out with an unknown outcome. Another request waiting at
   * `index` was overwritten and is rejected, as in `applied` (unless it was forwarded).
   */
  skipped(index: number, seq: number | undefined): void {
    const waiting = this.byIndex.get(index);
    if (waiting === undefined || waiting === seq) return;
    const p = this.pending.get(waiting);
    if (p?.forwarded === true) {
      // Another copy of the forwarded request may still commit: wait for it, or the deadline.
      this.byIndex.delete(index);
      p.index = 0;
      return;
    }
    this.fail(waiting, new ProposalDroppedError(`the entry at index ${index} was overwritten by a new leader`));
  }

  /** Resolves request `seq` with `result`. */
  settle(seq: number, result: unknown): void {
    const p = this.take(seq);
    p?.resolve(result);
  }

  /** Fails request `seq` with `err`. */
  fail(seq: number, err: Error): void {
    const p = this.take(seq);
    if (p === undefined) return;
    this.onFailure(failureReason(err));
    p.reject(err);
  }

  /** Fails every request whose deadline is at or before `now` with `TimeoutError`. */
  sweep(now: number): void {
    // Deadlines grow with insertion order when every request uses the same timeout; the full
    // scan keeps it correct when they differ.
    for (const [seq, p] of this.pending) {
      if (p.deadline <= now) this.fail(seq, new TimeoutError(`request ${seq} timed out`));
    }
  }

  /** Fails every pending request with `err` (the replica is stopping). */
  failAll(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.fail(seq, err);
  }

  private take(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (p === undefined) return undefined;
    this.pending.delete(seq);
    p.done();
    if (p.index !== 0 && this.byIndex.get(p.index) === seq) this.byIndex.delete(p.index);
    return p;
  }
}

/**
 * Linearizable reads waiting for their ReadIndex (thesis §6.4): a read is registered, its
 * ReadState arrives with a read index, and it resolves once the replica has applied up to
 * that index. Reads that get no ReadState fail with `TimeoutError` at their deadline.
 *
 * Each read is its own ReadIndex round, counted as etcd counts its rounds: failed when it is lost
 * to a leader change ({@link Reads.leaderChanged}; the read then asks again), slow when it times
 * out unanswered (unless its last round was counted lost) or when an answer comes for a read no
 * longer waiting for one.
 */
export class Reads {
  private readonly pending = new ChurnMap<number, PendingRead>();
  private readonly sink: ReadIndexSink;

  /** @param sink - counts failed and slow rounds. */
  constructor(sink: ReadIndexSink) {
    this.sink = sink;
  }

  /** The number of pending reads. */
  get size(): number {
    return this.pending.size;
  }

  /** Registers read `seq`; resolves with the read index (fails with `AbortedError` when `signal` aborts first). */
  add(seq: number, deadline: number, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.set(seq, new Waiter<number>(this, seq, deadline, signal, resolve, reject));
    });
  }

  /** Whether read `seq` is pending and still waits for its read index (one asked again after a leader change may have had it meanwhile). */
  needsIndex(seq: number): boolean {
    return this.pending.get(seq)?.index === 0;
  }

  /** Notes that read `seq`'s ReadIndex request went to the node. */
  asked(seq: number): void {
    const r = this.pending.get(seq);
    if (r !== undefined) r.round = Round.Asked;
  }

  /**
   * Records the read index confirmed for read `seq`. An answer for a read that is no longer
   * pending (it timed out or was aborted) or already has its index is counted slow.
   */
  confirm(seq: number, index: number): void {
    const r = this.pending.get(seq);
    if (r === undefined || r.index !== 0) {
      this.sink.slow();
      return;
    }
    r.index = Math.max(index, 1);
  }

  /**
   * The known leader changed: every round asked and unanswered is lost (a leader drops its
   * pending read-only requests when it steps down) and counted failed. Returns those reads, to
   * be asked again of the next leader; an answer already sent still confirms them first.
   */
  leaderChanged(): number[] {
    const lost: number[] = [];
    for (const [seq, r] of this.pending) {
      if (r.index !== 0 || r.round !== Round.Asked) continue;
      r.round = Round.Lost;
      this.sink.failed();
      lost.push(seq);
    }
    return lost;
  }

  /** Resolves every confirmed read whose index is at or below `applied`. */
  release(applied: number): void {
    for (const [seq, r] of this.pending) {
      if (r.index !== 0 && r.index <= applied) {
        this.pending.delete(seq);
        r.done();
        r.resolve(r.index);
      }
    }
  }

  /** Fails read `seq` with `err`. */
  fail(seq: number, err: Error): void {
    const r = this.pending.get(seq);
    if (r === undefined) return;
    this.pending.delete(seq);
    r.done();
    r.reject(err);
  }

  /** Fails reads past their deadline with `TimeoutError`; one still waiting for its read index (and not counted lost) counts slow. */
  sweep(now: number): void {
    for (const [seq, r] of this.pending) {
      if (r.deadline > now) continue;
      if (r.index === 0 && r.round !== Round.Lost) this.sink.slow();
      this.fail(seq, new TimeoutError(`read ${seq} timed out`));
    }
  }

  /** Fails every pending read with `err`. */
  failAll(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.fail(seq, err);
  }
}

interface Transfer {
  to: number;
  deadline: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Leadership transfers waiting for their transferee to become leader (thesis §3.10). */
export class Transfers {
  private readonly pending = new Set<Transfer>();
  private readonly onFailure: FailureSink;

  /** @param onFailure - called once for every transfer that fails. */
  constructor(onFailure: FailureSink) {
    this.onFailure = onFailure;
  }

  /**
   * Waits until `to` leads, failing with `TimeoutError` after `deadline`. Returns the wait and
   * a function that fails this transfer alone (a no-op once it settled).
   */
  add(to: number, deadline: number): [Promise<void>, (err: Error) => void] {
    let t: Transfer | undefined;
    const p = new Promise<void>((resolve, reject) => {
      t = { to, deadline, resolve, reject };
      this.pending.add(t);
    });
    const fail = (err: Error): void => {
      if (t === undefined || !this.pending.delete(t)) return;
      this.onFailure(failureReason(err));
      t.reject(err);
    };
    return [p, fail];
  }

  /** Resolves the transfers to `leader`. */
  leaderIs(leader: number): void {
    for (const t of this.pending) {
      if (t.to !== leader) continue;
      this.pending.delete(t);
      t.resolve();
    }
  }

  /** Fails transfers past their deadline with `TimeoutError`. */
  sweep(now: number): void {
    for (const t of this.pending) {
      if (t.deadline > now) continue;
      this.pending.delete(t);
      this.onFailure('timeout');
      t.reject(new TimeoutError(`leadership transfer to ${t.to} timed out`));
    }
  }

  /** Fails every pending transfer with `err`. */
  failAll(err: Error): void {
    for (const t of this.pending) t.reject(err);
    this.pending.clear();
  }
}

/**
 * Back-pressure (etcd's `maxGapBetweenApplyAndCommitIndex`): refuses a new proposal with
 * `TooManyRequestsError` while committed − applied exceeds `maxPendingApply`, or while
 * `maxPendingProposals` requests are pending, so memory stays bounded when the state machine
 * is slow or stalled. Returns `undefined` when the proposal may go ahead.
 */
export function checkBackpressure(
  committed: number,
  applied: number,
  pending: number,
  limits: { maxPendingApply: number; maxPendingProposals: number },
): TooManyRequestsError | undefined {
  if (committed - applied > limits.maxPendingApply) {
    return new TooManyRequestsError(`committed ${committed} − applied ${applied} exceeds maxPendingApply ${limits.maxPendingApply}`);
  }
  if (pending >= limits.maxPendingProposals) {
    return new TooManyRequestsError(`${pending} proposals pending (maxPendingProposals ${limits.maxPendingProposals})`);
  }
  return undefined;
}
