import { EMPTY_BYTES, type Entry, type HardState, type SnapshotMetadata } from '../raft/entry.js';
import type { InitialState } from '../raft/log-storage.js';
import { AbstractStorage } from './abstract-storage.js';
import { CorruptStorageError } from './errors.js';
import { PackedLog } from './packed-log.js';

/**
 * Builds the in-memory view a durable storage serves the core's synchronous reads from, out
 * of what it loaded on open: the compaction point, the entries after it, the hard state and
 * the snapshot's metadata (the data is kept apart).
 *
 * @throws {@link CorruptStorageError} when the snapshot's term differs from the log's.
 */
export function buildLogView(
  offset: { index: number; term: number },
  entries: readonly Entry[],
  hardState: HardState,
  snapshot: SnapshotMetadata,
): PackedLog {
  const view = new PackedLog({ voters: snapshot.confState.voters, learners: snapshot.confState.learners });
  if (offset.index > 0) {
    view.applySnapshot({ data: EMPTY_BYTES, metadata: { ...snapshot, index: offset.index, term: offset.term } });
  }
  view.append(entries);
  view.setHardState(hardState);
  if (snapshot.index > offset.index) view.createSnapshot(snapshot.index, snapshot.confState, EMPTY_BYTES);
  if (view.term(snapshot.index) !== snapshot.term) {
    throw new CorruptStorageError('snapshot metadata', snapshot.index, `term ${snapshot.term} differs from the log's ${view.term(snapshot.index)}`);
  }
  return view;
}

/**
 * An {@link AbstractStorage} whose synchronous reads come from an in-memory view of the log
 * (see {@link buildLogView}): the durable adapters load it on open and update it after each
 * write completes.
 */
export abstract class LogViewStorage extends AbstractStorage {
  /**
   * The log as the core reads it: every completed write, nothing of one in progress.
   * @internal
   */
  protected view = new PackedLog();

  protected _initialState(): InitialState {
    return this.view.initialState();
  }

  protected _entries(lo: number, hi: number, maxSize: number): Entry[] {
    return this.view.entries(lo, hi, maxSize);
  }

  protected _term(i: number): number {
    return this.view.term(i);
  }

  protected _firstIndex(): number {
    return this.view.firstIndex();
  }

  protected _lastIndex(): number {
    return this.view.lastIndex();
  }
}
