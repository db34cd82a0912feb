import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { StateType } from '../raft/ready.js';
import type { KvSnapshots } from '../kv/etcd-backend/snapshots.js';
import { etcdError } from './errors.js';
import { snapshotCall } from './snapshot.js';
import { unary, unimplemented, wireBig, type RpcContext } from './rpc.js';
import { ETCD_API_VERSION, RAFTKIT_VERSION } from './version.js';

const SERVICE = 'etcdserverpb.Maintenance';

/** The message of the Maintenance RPCs that need the MVCC store's maintenance API (not served yet). */
export const NEEDS_KV_MAINTENANCE = 'raftkit: this Maintenance RPC needs raftkit/kv\'s maintenance API, which this build does not serve yet';

/**
 * The Maintenance service: Status and MoveLeader from the replica; Alarm, Defragment, Hash,
 * HashKV answer `UNIMPLEMENTED` until the MVCC store serves them; Snapshot streams an etcd
 * backend file when `snapshots` is given (`UNIMPLEMENTED` otherwise); Downgrade
 * (etcd 3.5's cluster downgrade) is `UNIMPLEMENTED` as raftkit has one version.
 * @internal
 */
export function maintenanceService(ctx: RpcContext, snapshots?: KvSnapshots): UntypedServiceImplementation {
  return {
    Status: unary(ctx, SERVICE, 'Status', () => {
      const st = ctx.replica.status();
      return {
        header: ctx.header(),
        version: ETCD_API_VERSION,
        dbSize: '0',
        dbSizeInUse: '0',
        leader: String(st.leader),
        raftIndex: String(st.commit),
        raftTerm: String(st.term),
        raftAppliedIndex: String(st.applied),
        errors: [],
        isLearner: st.config.learners.includes(st.id),
        raftkitVersion: RAFTKIT_VERSION,
      };
    }),
    MoveLeader: unary(ctx, SERVICE, 'MoveLeader', async (req: { targetID: string }) => {
      const st = ctx.replica.status();
      if (st.role !== StateType.Leader) throw etcdError('notLeader');
      const target = wireBig(req.targetID);
      const id = Number(target);
      if (target <= 0n || !st.config.voters.includes(id)) throw etcdError('badLeaderTransferee');
      await ctx.replica.transferLeadership(id);
      return { header: ctx.header() };
    }),
    Alarm: unimplemented(ctx, SERVICE, 'Alarm', 'unary', NEEDS_KV_MAINTENANCE),
    Defragment: unimplemented(ctx, SERVICE, 'Defragment', 'unary', NEEDS_KV_MAINTENANCE),
    Hash: unimplemented(ctx, SERVICE, 'Hash', 'unary', NEEDS_KV_MAINTENANCE),
    HashKV: unimplemented(ctx, SERVICE, 'HashKV', 'unary', NEEDS_KV_MAINTENANCE),
    Snapshot: snapshots === undefined ? unimplemented(ctx, SERVICE, 'Snapshot', 'server_stream', NEEDS_KV_MAINTENANCE) : snapshotCall(ctx, snapshots),
    Downgrade: unimplemented(ctx, SERVICE, 'Downgrade', 'unary', 'raftkit: Downgrade is not supported (raftkit members all speak one etcd API version)'),
  };
}
