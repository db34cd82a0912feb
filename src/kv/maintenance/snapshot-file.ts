import { LevelStorage } from '../../storage/level-storage.js';
import { RaftkitError } from '../../errors.js';
import type { KvClient } from '../kv-client.js';
import type { PeerAddress } from '../../replica/membership.js';
import { KvSnapshots } from '../etcd-backend/snapshots.js';
import { restoreSnapshot as restoreInto, type RestoreSummary } from '../etcd-backend/restore.js';
import type { SnapshotStatus } from '../etcd-backend/status.js';

/**
 * The backups of `client.maintenance`: the file format is etcd's own snapshot file (a bbolt
 * backend with a SHA-256 trailer), which lives in one module, `etcd-backend/`; this adapter
 * only binds it to a member and to new members' storage.
 * @module
 */

/** A restore target already holds a member's data. Code `ERR_RESTORE_NOT_EMPTY`. */
export class RestoreNotEmptyError extends RaftkitError {
  /** @param path - the data directory. */
  constructor(path: string) {
    super('ERR_RESTORE_NOT_EMPTY', `${path} already holds a member's data`);
  }
}

/** The snapshot maintenance of `kv`'s member (over the state machine's own database). */
export function memberSnapshots(kv: KvClient): KvSnapshots {
  return new KvSnapshots(kv.replica, kv.stateMachine, { db: kv.stateMachine.db });
}

/** Options of {@link restoreMember}. */
export interface RestoreOptions {
  /** The data directory of the new member (a `LevelStorage` path; must hold no member yet). */
  path: string;
  /** The members of the new cluster (pass them as `peers` to `Replica.start`). */
  members: readonly PeerAddress[];
  /** The KV's sublevel name. Default `'kv'`. */
  name?: string | undefined;
}

/** What {@link restoreMember} restored: the file's summary and the new cluster's members. */
export interface RestoredMember extends RestoreSummary {
  /** The members of the new cluster. */
  members: readonly PeerAddress[];
}

/**
 * Builds a new member's storage from a backup file (`etcdctl snapshot restore`): the KV state
 * goes into a fresh `LevelStorage` at `path`; start the member there with `peers: members` and
 * a `KvStateMachine` over that storage, and it serves the backup's data at its revision. Run it
 * for every member of the new cluster with the same file.
 */
export async function restoreMember(file: string, options: RestoreOptions): Promise<RestoredMember> {
  const storage = await LevelStorage.open({ path: options.path });
  try {
    if (storage.lastIndex() !== 0) throw new RestoreNotEmptyError(options.path);
    const summary = await restoreInto(file, { db: storage.db!, ...(options.name === undefined ? {} : { name: options.name }) });
    return { ...summary, members: options.members };
  } finally {
    await storage.close();
  }
}

export type { SnapshotStatus };
