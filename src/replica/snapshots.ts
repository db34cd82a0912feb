import type { ConfState } from '../raft/entry.js';
import { supportsSnapshotStaging } from '../storage/snapshot-ref.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { StoppedError } from './errors.js';
import { encodeSnapshotPayloadHeader, joinChunks } from './snapshot-payload.js';
import type { StorageWriter } from './ready-loop.js';
import type { StateMachine } from './state-machine.js';

/** What {@link Snapshotter} needs from the replica. */
export interface SnapshotterDeps {
  /** The storage to record snapshots in and compact. */
  storage: Storage;
  /** Serializes writes with the Ready loop's. */
  writer: StorageWriter;
  /** The state machine to snapshot. */
  stateMachine: StateMachine;
  /** The address book to include. */
  book: () => Map<number, string>;
  /** The encoded session table to include, as of the applied index. */
  sessions: () => Uint8Array;
  /** The configuration as of the applied index. */
  confState: () => ConfState;
  /** Applied entries between snapshots. */
  every: number;
  /** Entries kept before the snapshot index when compacting, for followers that trail a little. */
  tail: number;
  /** Lets a snapshot written in the background yield to the event loop between chunks (`soon`), and times it (`now`). */
  clock?: Clock | undefined;
  /** Told what a local snapshot cost and when the log is compacted (for metrics). */
  observer?: SnapshotObserver | undefined;
}

/** What {@link Snapshotter} reports about a local snapshot (etcd's snapshot save metrics). */
export interface SnapshotObserver {
  /**
   * A snapshot is current in the storage. `marshallingSeconds`: the time spent encoding the
   * header, capturing the state and producing each chunk, without the waits between chunks
   * and the storage's writes (etcd's marshalling part of a snapshot save).
   */
  stored(marshallingSeconds: number): void;
  /** The log was compacted up to `index` after a snapshot. */
  compacted(index: number): void;
}

/** A snapshot whose state is captured and whose storing goes on (see {@link Snapshotter.take}). */
export interface SnapshotInFlight {
  /** Resolves once the snapshot is current in the storage and the log compacted; rejects when that fails or is abandoned. */
  stored: Promise<void>;
}

/**
 * Takes a snapshot every `every` applied entries: the state machine's state plus the address
 * book and the session table, recorded with `storage.createSnapshot` at the applied index,
 * then compacts the log up to `tail` entries before it (etcd's `SnapshotCatchUpEntries`).
 *
 * {@link Snapshotter.take} runs on the apply queue (no `apply` in progress, so the book,
 * the session table and the configuration are those of the applied index) and holds it only
 * while the state is captured: with a state machine's `captureSnapshot` (a consistent view) or
 * `snapshot` (bytes), the chunks are then read, encoded and staged in the storage in the
 * background, in slices that yield to the event loop, while entries go on being applied; only
 * the final step that makes the snapshot current goes through the shared writer. A state
 * machine with only `snapshotChunks` reads its live state, so the apply queue waits for the
 * whole snapshot, as before.
 *
 * By reference (a state machine with `persist` and `captureSnapshot`, see `state-machine.ts`):
 * the apply queue only calls `persist()`; once that resolves, the snapshot stored holds the book,
 * the session table and the durable applied index, no state machine bytes (etcd's snapshot at
 * `--snapshot-count` holds no KV either). The log is compacted as after any snapshot: to
 * `tail` entries before an index the durable state machine already covers.
 *
 * Invariant: at most one snapshot is in flight (`due` is false meanwhile), and the log is
 * compacted only after the snapshot covering it is durably current.
 */
export class Snapshotter {
  private readonly deps: SnapshotterDeps;
  /** The index of the latest snapshot stored or received (or being stored). */
  lastIndex: number;
  private forced = false;
  /** The snapshot being stored in the background, settled or not. */
  private inFlight: Promise<void> | undefined;
  /** Set by {@link Snapshotter.abandon}: the snapshot in flight stops at its next chunk. */
  private abandoned = false;
  /** Milliseconds the snapshot in flight has spent producing its bytes so far (see {@link SnapshotObserver.stored}). */
  private marshallingMs = 0;

  /**
   * @param deps - see {@link SnapshotterDeps}.
   * @param lastIndex - the index of the snapshot in storage at start.
   */
  constructor(deps: SnapshotterDeps, lastIndex: number) {
    this.deps = deps;
    this.lastIndex = lastIndex;
  }

  /**
   * Asks for a snapshot at the next opportunity, if the log was ever compacted. Called when a
   * member is added: a joining member refuses a snapshot whose configuration does not include
   * it (as etcd's `raft.restore` does), so the stored one must be renewed past the conf change.
   * A snapshot in flight (taken before the change) counts: it will compact the log.
   */
  requestAfterConfChange(): void {
    if (this.deps.storage.firstIndex() > 1 || this.inFlight !== undefined) this.forced = true;
  }

  /** Whether a snapshot is being taken: captured or being captured, not yet current in the storage (or failed). */
  get saving(): boolean {
    return this.inFlight !== undefined;
  }

  /** Whether a snapshot is due at `applied` (never while one is in flight). */
  due(applied: number): boolean {
    return this.inFlight === undefined && applied > this.lastIndex && (this.forced || applied - this.lastIndex >= this.deps.every);
  }

  /** Resolves once no snapshot is in flight (whatever its outcome). */
  idle(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  /**
   * Stops the snapshot in flight at its next chunk (a snapshot from the leader replaces the
   * state it would store): its `stored` rejects with `StoppedError`.
   */
  abandon(): void {
    if (this.inFlight !== undefined) this.abandoned = true;
  }

  /**
   * Captures the snapshot at `applied` and starts storing it. Resolves once applies may go on:
   * at once after the capture when the state machine captures (`captureSnapshot`) or returns
   * bytes (`snapshot`), after storing with `snapshotChunks` (which reads the live state).
   */
  async take(applied: number): Promise<SnapshotInFlight> {
    const d = this.deps;
    // Set first: a snapshot that fails is not retried before `every` more entries (or a forced one).
    this.lastIndex = applied;
    this.forced = false;
    const start = this.now();
    const book = new Map(d.book());
    const sessions = d.sessions();
    const confState = d.confState();
    const term = d.storage.term(applied);
    const sm = d.stateMachine;
    // By reference the header also names the durable applied index, known only once `persist` resolves.
    const header = (byReference?: { appliedIndex: number }): Uint8Array =>
      encodeSnapshotPayloadHeader(byReference === undefined ? { book, sessions } : { book, sessions, byReference });
    this.abandoned = false;
    let settle!: () => void;
    this.inFlight = new Promise<void>((resolve) => (settle = resolve));
    let stored: Promise<void>;
    try {
      // The header and the capture (or the bytes) count as marshalling; `slices` adds each chunk's production.
      if (sm.persist !== undefined && sm.captureSnapshot !== undefined) {
        // Called now, between applies: it covers every command applied up to `applied`.
        const durable = Promise.resolve(sm.persist());
        this.marshallingMs = this.now() - start;
        stored = durable.then((appliedIndex) => this.makeCurrent(applied, confState, header({ appliedIndex })));
      } else if (sm.captureSnapshot !== undefined) {
        const captured = await sm.captureSnapshot();
        this.marshallingMs = this.now() - start;
        stored = this.store(applied, term, confState, header(), captured);
      } else if (sm.snapshotChunks !== undefined) {
        this.marshallingMs = this.now() - start;
        stored = this.store(applied, term, confState, header(), sm.snapshotChunks());
      } else {
        const bytes = await sm.snapshot();
        this.marshallingMs = this.now() - start;
        stored = this.store(applied, term, confState, header(), [bytes]);
      }
    } catch (err) {
      this.inFlight = undefined;
      settle();
      throw err;
    }
    const done = (): void => {
      this.inFlight = undefined;
      settle();
    };
    stored.then(done, done);
    if (sm.captureSnapshot === undefined && sm.snapshotChunks !== undefined) await stored;
    return { stored };
  }

  /** Reads the chunks (yielding between them), stages or joins them, then makes the snapshot current and compacts. */
  private async store(index: number, term: number, confState: ConfState, header: Uint8Array, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const d = this.deps;
    const chunks = this.slices(header, body);
    const data = supportsSnapshotStaging(d.storage) ? await d.storage.stageSnapshot({ index, term }, chunks) : await joinChunks(chunks);
    await this.makeCurrent(index, confState, data);
  }

  /** Makes the snapshot whose payload is `data` (bytes or a staged reference) current, then compacts the log. */
  private async makeCurrent(index: number, confState: ConfState, data: Uint8Array): Promise<void> {
    const d = this.deps;
    if (this.abandoned) throw new StoppedError('snapshot abandoned');
    await d.writer.run(async () => {
      await d.storage.createSnapshot(index, confState, data);
      d.observer?.stored(this.marshallingMs / 1000);
      const compactIndex = index - d.tail;
      if (compactIndex >= d.storage.firstIndex()) {
        await d.storage.compact(compactIndex);
        d.observer?.compacted(compactIndex);
      }
    });
  }

  /** The clock's time in milliseconds (0 without a clock: nothing is timed). */
  private now(): number {
    return this.deps.clock?.now() ?? 0;
  }

  /**
   * Yields `header`, then the state machine's chunks, letting the event loop run between
   * chunks; throws `StoppedError` (ending the state machine's iteration) once abandoned.
   *
   * @yields {Uint8Array} the payload's chunks, in order.
   */
  private async *slices(header: Uint8Array, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    yield header;
    const clock = this.deps.clock;
    const it = Symbol.asyncIterator in body ? body[Symbol.asyncIterator]() : body[Symbol.iterator]();
    try {
      for (;;) {
        const t = this.now();
        const next = await it.next();
        this.marshallingMs += this.now() - t;
        if (next.done === true) return;
        if (this.abandoned) throw new StoppedError('snapshot abandoned');
        yield next.value;
        if (clock?.soon !== undefined) await new Promise<void>((resolve) => clock.soon!(resolve));
      }
    } finally {
      // As `for await` does: a state machine's iteration ended early (abandoned, failed) releases its view.
      await it.return?.();
    }
  }
}
