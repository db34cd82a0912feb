import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { StateType } from '../raft/ready.js';
import type { KvSnapshots } from '../kv/etcd-backend/snapshots.js';
import { etcdError } from './errors.js';
import { snapshotCall } from './snapshot.js';
import type { KvClient } from '../kv/kv-client.js';
import type { AlarmMember, AlarmType } from '../kv/alarms/alarm-table.js';
import { headerOut, type Wire } from './convert.js';
import { unary, unaryNoCancel, unimplemented, wireBig, wireNum, type RpcContext } from './rpc.js';
import { ETCD_API_VERSION, RAFTKIT_VERSION } from './version.js';

const SERVICE = 'etcdserverpb.Maintenance';

/** The message of the Maintenance RPCs that need the MVCC store (no `kv` given to the server). */
export const NEEDS_KV_MAINTENANCE = 'raftkit: this Maintenance RPC needs raftkit/kv (EtcdServerOptions.kv), which is not served here';

/**
 * The Maintenance service: Status (with the store's sizes and alarms when `kv` is given) and
 * MoveLeader from the replica; Alarm, Defragment and HashKV over raftkit/kv (`UNIMPLEMENTED`
 * without `kv`); Hash (the CRC-32C of the backend a snapshot holds) and Snapshot (an etcd
 * backend file) when `snapshots` is given (`UNIMPLEMENTED` otherwise); Downgrade
 * (etcd 3.5's cluster downgrade) is `UNIMPLEMENTED` as raftkit has one version.
 * @internal
 */
export function maintenanceService(ctx: RpcContext, snapshots?: KvSnapshots, kv?: KvClient): UntypedServiceImplementation {
  return {
    Status: unaryNoCancel(ctx, SERVICE, 'Status', async () => {
      const st = ctx.replica.status();
      if (kv !== undefined) {
        const k = await kv.maintenance.status();
        return {
          header: headerOut(k.header), version: ETCD_API_VERSION, dbSize: String(k.dbSize), dbSizeInUse: String(k.dbSizeInUse), leader: String(k.leader),
          raftIndex: String(k.raftIndex), raftTerm: String(k.raftTerm), raftAppliedIndex: String(k.raftAppliedIndex), errors: k.errors, isLearner: k.isLearner,
          raftkitVersion: RAFTKIT_VERSION,
        };
      }
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
    // As etcd's MoveLeader, the wait for the target to lead ends with the call (its deadline or cancellation).
    MoveLeader: unary(ctx, SERVICE, 'MoveLeader', async (req: { targetID: string }, opts) => {
      const st = ctx.replica.status();
      if (st.role !== StateType.Leader) throw etcdError('notLeader');
      const target = wireBig(req.targetID);
      const id = Number(target);
      if (target <= 0n || !st.config.voters.includes(id)) throw etcdError('badLeaderTransferee');
      await ctx.replica.transferLeadership(id, opts);
      return { header: ctx.header() };
    }),
    ...(kv === undefined ? {
      Alarm: unimplemented(ctx, SERVICE, 'Alarm', 'unary', NEEDS_KV_MAINTENANCE),
      Defragment: unimplemented(ctx, SERVICE, 'Defragment', 'unary', NEEDS_KV_MAINTENANCE),
      HashKV: unimplemented(ctx, SERVICE, 'HashKV', 'unary', NEEDS_KV_MAINTENANCE),
    } : storeMaintenance(ctx, kv)),
    Hash: snapshots === undefined ? unimplemented(ctx, SERVICE, 'Hash', 'unary', NEEDS_KV_MAINTENANCE) : unaryNoCancel(ctx, SERVICE, 'Hash', async () => {
      const started = performance.now();
      const h = await snapshots.hash();
      kv?.metrics.hashDuration.observe((performance.now() - started) / 1000);
      return { header: ctx.header(h.revision), hash: h.hash };
    }),
    Snapshot: snapshots === undefined ? unimplemented(ctx, SERVICE, 'Snapshot', 'server_stream', NEEDS_KV_MAINTENANCE) : snapshotCall(ctx, snapshots, kv === undefined ? undefined : (seconds) => kv.metrics.backendSnapshotDuration.observe(seconds)),
    Downgrade: unimplemented(ctx, SERVICE, 'Downgrade', 'unary', 'raftkit: Downgrade is not supported (raftkit members all speak one etcd API version)'),
  };
}

const alarmOut = (a: AlarmMember): { memberID: string; alarm: number } => ({ memberID: String(a.memberId), alarm: a.alarm });

/** Alarm, Defragment and HashKV over raftkit/kv's alarms and maintenance clients. */
function storeMaintenance(ctx: RpcContext, kv: KvClient): UntypedServiceImplementation {
  return {
    Alarm: unary(ctx, SERVICE, 'Alarm', async (w: Wire, opts) => {
      const action = wireNum(w.action);
      const alarm = wireNum(w.alarm) as AlarmType;
      const member = wireBig(w.memberID);
      const r = action === 1 ? await kv.alarms.activate(alarm, member === 0n ? BigInt(ctx.replica.id) : member, opts)
        : action === 2 ? await kv.alarms.disarm({ memberId: member, alarm }, opts)
          : await kv.alarms.list(opts);
      // As etcd's: an AlarmResponse and a DefragmentResponse carry no header.
      return { alarms: r.alarms.map(alarmOut) };
    }),
    Defragment: unaryNoCancel(ctx, SERVICE, 'Defragment', async () => {
      await kv.maintenance.defragment();
      return {};
    }),
    HashKV: unaryNoCancel(ctx, SERVICE, 'HashKV', async (w: Wire) => {
      const r = await kv.maintenance.hashKV(wireNum(w.revision));
      return { header: headerOut(r.header), hash: r.hash, compactRevision: String(r.compactRevision), hashRevision: String(r.hashRevision) };
    }),
  };
}
