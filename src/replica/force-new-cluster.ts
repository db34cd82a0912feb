import { ConfChangeType, decodeConfChange, decodeConfChangeV2, encodeConfChange, enterJoint, leaveJoint } from '../raft/conf-change.js';
import { EntryType, type Entry } from '../raft/entry.js';
import { ConfigInvalidError } from '../raft/errors.js';
import type { Storage } from '../storage/storage.js';

/** What {@link forceNewCluster} changed in a member's log. */
export interface ForcedNewCluster {
  /** The members the configuration lost (voters and learners), in id order. */
  removed: number[];
  /** Uncommitted entries kept (only when there was no member to remove: the lone member may commit them). */
  uncommitted: number;
  /** The commit index after the new entries (the last of them). */
  commit: number;
}

/**
 * etcd's `--force-new-cluster` for a stopped member's storage: after a permanent loss of quorum,
 * makes the member the only one of its cluster, with the data it holds. It appends, committed,
 * one removal of every other member of the configuration (the snapshot's, then every committed
 * conf change after it), at the stored term, right after the commit index, as etcd's
 * `restartAsStandaloneNode` does: the replica started on the storage then applies them, becomes
 * the lone voter, elects itself and serves what was committed. Entries stored after the commit
 * index are discarded with the write of the removals, as etcd discards them (a member already
 * alone in its configuration is left as it is).
 *
 * Run it on this member only, with every other member stopped for good: they must not come back
 * with their data (add members afterwards with `addMember`, from empty storage).
 *
 * @param storage - the member's storage, closed or open (it is opened and left open).
 * @param id - the member's id.
 * @throws {@link ConfigInvalidError} for a storage with no configuration, one that does not hold
 *   `id`, or one in a joint configuration (leave it first: etcd cannot force one either).
 */
export async function forceNewCluster(storage: Storage, id: number): Promise<ForcedNewCluster> {
  if (storage.status !== 'open') await storage.open();
  const { hardState, confState } = storage.initialState();
  const members = new Set([...confState.voters, ...confState.learners, ...confState.votersOutgoing, ...confState.learnersNext]);
  let joint = confState.votersOutgoing.length > 0;
  const first = storage.firstIndex();
  const commit = hardState.commit;
  const committed = commit >= first ? storage.entries(first, commit + 1, Number.MAX_SAFE_INTEGER) : [];
  const change = (type: number, nodeId: number): void => {
    if (type === ConfChangeType.ConfChangeRemoveNode) members.delete(nodeId);
    else if (type !== ConfChangeType.ConfChangeUpdateNode) members.add(nodeId);
  };
  for (const e of committed) {
    if (e.type === EntryType.EntryConfChange) {
      const cc = decodeConfChange(e.data);
      change(cc.type, cc.nodeId);
    } else if (e.type === EntryType.EntryConfChangeV2) {
      const cc = decodeConfChangeV2(e.data);
      if (leaveJoint(cc)) joint = false;
      else {
        for (const c of cc.changes) change(c.type, c.nodeId);
        if (enterJoint(cc) !== undefined) joint = true;
      }
    }
  }
  if (members.size === 0) throw new ConfigInvalidError('force-new-cluster: the storage holds no configuration (a member that never started)');
  if (!members.has(id)) throw new ConfigInvalidError(`force-new-cluster: member ${id.toString(16)} is not in the stored configuration (${[...members].map((m) => m.toString(16)).join(', ')})`);
  if (joint) throw new ConfigInvalidError('force-new-cluster: the stored configuration is joint (a membership change was under way); it cannot be forced');
  const removed = [...members].filter((m) => m !== id).sort((a, b) => a - b);
  const entries: Entry[] = removed.map((nodeId, i) => ({
    term: hardState.term, index: commit + 1 + i, type: EntryType.EntryConfChange,
    data: encodeConfChange({ type: ConfChangeType.ConfChangeRemoveNode, nodeId }),
  }));
  const newCommit = commit + entries.length;
  if (entries.length > 0) await storage.save({ hardState: { ...hardState, commit: newCommit }, entries, sync: true });
  return { removed, uncommitted: Math.max(0, storage.lastIndex() - newCommit), commit: newCommit };
}
