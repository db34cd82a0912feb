import { EMPTY_BYTES, type Entry, type HardState, type SnapshotMetadata } from '../raft/entry.js';
import { MemoryStorage } from '../raft/log-storage.js';
import { CorruptStorageError } from './errors.js';

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
): MemoryStorage {
  const view = new MemoryStorage({ voters: snapshot.confState.voters, learners: snapshot.confState.learners });
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
