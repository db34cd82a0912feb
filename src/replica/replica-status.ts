import { RoleName } from '../raft/ready.js';
import type { ProgressStatus, Status } from '../raft/status.js';
import type { ReplicaStatus } from './options.js';

/** What {@link replicaStatus} takes from the replica itself. */
export type ReplicaStatusBase = Pick<ReplicaStatus, 'id' | 'lifecycle' | 'leader' | 'applied' | 'members' | 'pending'>;

/**
 * Builds `Replica.status()` from the node's status and the replica's own fields; `peer`
 * gives, for each member in the leader's progress, whether it counts as active and its
 * latest round-trip time.
 */
export function replicaStatus(s: Status, base: ReplicaStatusBase, peer: (id: number, pr: ProgressStatus) => { active: boolean; rttMs: number | undefined }): ReplicaStatus {
  const st: ReplicaStatus = {
    id: base.id,
    lifecycle: base.lifecycle,
    leader: base.leader,
    term: s.term,
    role: s.raftState,
    roleName: RoleName[s.raftState],
    commit: s.commit,
    applied: base.applied,
    config: s.config,
    members: base.members,
    pending: base.pending,
  };
  if (s.progress !== undefined) {
    st.progress = new Map([...s.progress].map(([id, pr]) => {
      const { active, rttMs } = peer(id, pr);
      return [id, { ...pr, active, ...(rttMs === undefined ? {} : { rttMs }) }];
    }));
  }
  return st;
}
