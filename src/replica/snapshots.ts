import type { ConfState } from '../raft/entry.js';
import { supportsSnapshotStaging } from '../storage/snapshot-ref.js';
import type { Storage } from '../storage/storage.js';
import { encodeSnapshotPayload, encodeSnapshotPayloadHeader, joinChunks } from './snapshot-payload.js';
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
}

/**
 * Takes a snapshot every `every` applied entries: the state machine's `snapshot()` plus the
 * address book and the session table, recorded with `storage.createSnapshot` at the applied
 * index, then compacts the log up to `tail` entries before it (etcd's `SnapshotCatchUpEntries`).
 * It runs on the apply queue, so no `apply` is in progress meanwhile and the session table is
 * that of the applied index.
 */
export class Snapshotter {
  private readonly deps: SnapshotterDeps;
  /** The index of the latest snapshot stored or received. */
  lastIndex: number;

  /**
   * @param deps - see {@link SnapshotterDeps}.
   * @param lastIndex - the index of the snapshot in storage at start.
   */
  constructor(deps: SnapshotterDeps, lastIndex: number) {
    this.deps = deps;
    this.lastIndex = lastIndex;
  }

  private forced = false;

  /**
   * Asks for a snapshot at the next opportunity, if the log was ever compacted. Called when a
   * member is added: a joining member refuses a snapshot whose configuration does not include
   * it (as etcd's `raft.restore` does), so the stored one must be renewed past the conf change.
   */
  requestAfterConfChange(): void {
    if (this.deps.storage.firstIndex() > 1) this.forced = true;
  }

  /** Whether a snapshot is due at `applied`. */
  due(applied: number): boolean {
    return applied > this.lastIndex && (this.forced || applied - this.lastIndex >= this.deps.every);
  }

  /**
   * Takes, stores and compacts a snapshot at `applied`. A state machine with `snapshotChunks`
   * is read chunk by chunk; with a storage that stages snapshots its chunks go straight to the
   * storage (staged outside the shared writer, so the Ready loop's writes go on meanwhile),
   * and only the step that makes the snapshot current waits for the writer.
   */
  async take(applied: number): Promise<void> {
    const d = this.deps;
    const header = { book: d.book(), sessions: d.sessions() };
    const confState = d.confState();
    this.lastIndex = applied;
    this.forced = false;
    const sm = d.stateMachine;
    let data: Uint8Array;
    if (sm.snapshotChunks === undefined) {
      data = encodeSnapshotPayload({ ...header, data: await sm.snapshot() });
    } else {
      const chunks = withHeader(encodeSnapshotPayloadHeader(header), sm.snapshotChunks());
      data = supportsSnapshotStaging(d.storage)
        ? await d.storage.stageSnapshot({ index: applied, term: d.storage.term(applied) }, chunks)
        : await joinChunks(chunks);
    }
    await d.writer.run(async () => {
      await d.storage.createSnapshot(applied, confState, data);
      const compactIndex = applied - d.tail;
      if (compactIndex >= d.storage.firstIndex()) await d.storage.compact(compactIndex);
    });
  }

}

/**
 * Yields `header`, then the state machine's chunks.
 *
 * @yields {Uint8Array} the payload's chunks, in order.
 */
async function* withHeader(header: Uint8Array, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield header;
  yield* chunks;
}
