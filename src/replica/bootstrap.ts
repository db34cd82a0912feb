import type { RaftConfig } from '../raft/config.js';
import { isEmptyHardState, type HardState } from '../raft/entry.js';
import { RaftkitError } from '../errors.js';
import { ConfigInvalidError } from '../raft/errors.js';
import { RaftNode } from '../raft/raft-node.js';
import { encodeAddress, encodeEnvelope } from './envelope.js';
import type { PeerAddress } from './membership.js';
import { ReplicaStartError, StateMachineBehindSnapshotError } from './errors.js';
import type { ReplicaOptions } from './options.js';
import { SessionTable } from './sessions.js';
import { currentSnapshot, openSnapshotPayload, restoreStateMachine } from './snapshot-io.js';
import type { LogStorage } from '../raft/log-storage.js';

/** What a replica starts from, read from its storage and state machine. */
export interface StartState {
  /** Whether the storage is empty (nothing was ever persisted). */
  fresh: boolean;
  /** The state machine's applied index, after restoring the stored snapshot if it was behind. */
  smApplied: number;
  /** The persisted hard state. */
  hardState: HardState;
  /** The address book of the stored snapshot. */
  book: Map<number, string>;
  /**
   * The session table of the stored snapshot (empty without one, or for a version 1 snapshot).
   * The applier brings it up to date from the entries the node re-delivers after the snapshot.
   */
  sessions: SessionTable;
}

/**
 * Opens the storage and brings the state machine up to the stored snapshot:
 * - empty storage with `peers`: a new cluster (see {@link createNode});
 * - empty storage with `join`: a new member of an existing cluster; it learns the configuration
 *   from the leader's log (bootstrap conf changes at indexes 1..n) or, when the leader has
 *   compacted them, from a snapshot;
 * - otherwise a restart: the hard state, configuration and log come from the storage, and the
 *   state machine is restored from the stored snapshot if its `appliedIndex()` is older. The
 *   session table always comes from the stored snapshot. A snapshot by reference restores
 *   nothing: the state machine's own database is its state.
 *
 * @throws {@link ConfigInvalidError} for an empty storage with neither `peers` nor `join`;
 * `RangeError` for a stored snapshot whose session table is malformed;
 * {@link StateMachineBehindSnapshotError} for a snapshot by reference that recorded the state
 * machine durable past its `appliedIndex()`.
 */
export async function loadState(o: ReplicaOptions<unknown>): Promise<StartState> {
  const { storage, stateMachine: sm } = o;
  if (storage.status !== 'open') await storage.open();
  // A reference when the storage stages snapshots: the data is read chunk by chunk.
  const snap = currentSnapshot(storage);
  const init = storage.initialState();
  const fresh = storage.lastIndex() === 0 && snap.metadata.index === 0 && isEmptyHardState(init.hardState);
  if (fresh && o.peers === undefined && o.join === undefined && init.confState.voters.length === 0) {
    throw new ConfigInvalidError('peers (a new cluster) or join (an existing one) is required with an empty storage');
  }
  const payload = await openSnapshotPayload(snap, storage);
  const sessions = SessionTable.decode(payload.sessions ?? new Uint8Array(0));
  let smApplied = await sm.appliedIndex();
  const { index } = snap.metadata;
  if (payload.byReference !== undefined) {
    if (smApplied < payload.byReference.appliedIndex) throw new StateMachineBehindSnapshotError(index, payload.byReference.appliedIndex, smApplied);
  } else if (index > 0 && smApplied < index) {
    // A snapshot sent by reference holds a state newer than its index (see `SnapshotPayload.state`).
    const state = payload.state ?? snap.metadata;
    await restoreStateMachine(sm, state, payload.chunks);
    smApplied = state.index;
  }
  return { fresh, smApplied, hardState: init.hardState, book: payload.book, sessions };
}

/**
 * Creates the RaftNode (`checkQuorum` and `preVote` on unless overridden). The node re-delivers
 * every committed entry after the stored snapshot, so that conf changes are applied again to its
 * configuration (as etcd does); the state machine skips the commands it already holds. With
 * `peers` (only for an empty storage) it writes the bootstrap conf changes at indexes 1..n, each
 * carrying the member's address. `applied` is the stored snapshot's index (read without its data).
 */
export function createNode(
  raft: Omit<RaftConfig, 'id' | 'storage' | 'applied'>,
  id: number,
  storage: LogStorage,
  peers: readonly PeerAddress[] | undefined,
  applied: number,
): RaftNode {
  const node = new RaftNode({ checkQuorum: true, preVote: true, ...raft, id, storage, applied });
  if (peers !== undefined) {
    const ctx = (address: string): Uint8Array => encodeEnvelope({ proposer: 0, incarnation: 0, seq: 0 }, encodeAddress(address));
    node.bootstrap(peers.map((p) => ({ id: p.id, context: ctx(p.address) })));
  }
  return node;
}

/**
 * After a failed `Replica.start`: closes what it opened (the storage and its lock, the
 * transport's listener), then rethrows `err`, wrapped in {@link ReplicaStartError} unless it
 * is already a raftkit error.
 */
export async function failStart(o: ReplicaOptions<unknown>, err: unknown): Promise<never> {
  await Promise.allSettled([(async () => o.transport.close())(), (async () => o.storage.close())()]);
  throw err instanceof RaftkitError ? err : new ReplicaStartError(`Replica.start failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
