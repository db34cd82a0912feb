import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Member, MemberListResponse } from '../kv/cluster/cluster-client.js';
import type { KvClient } from '../kv/kv-client.js';
import type { RequestOptions } from '../replica/options.js';
import { etcdError } from './errors.js';
import { peerAddress, type MemberInfo } from './members.js';
import { unary, wireBig, type RpcContext, type WireHeader } from './rpc.js';

const SERVICE = 'etcdserverpb.Cluster';

/** `etcdserverpb.Member` on the wire. */
interface WireMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/**
 * The Cluster service's settings: how member ids, names and client URLs are known.
 * @internal
 */
export interface ClusterSettings {
  /** The id a member with these peer URLs gets (see `memberIdFor`). */
  memberId(peerUrls: readonly string[]): number;
  /** The name and client URLs of member `id` from the server's own settings, when known (used until the member has published its own). */
  info(id: number): MemberInfo | undefined;
  /** The scheme of peer URLs (`http` or `https`), to turn transport addresses back into URLs. */
  peerScheme: string;
  /** The most learners `MemberAdd` lets the cluster have (etcd's `maxLearners`). */
  maxLearners: number;
  /**
   * The member's raftkit/kv client: when given, membership goes through its `cluster` (calls on a
   * follower are forwarded to the leader; names and client URLs are the ones members published
   * through Raft). Without it, the replica's own membership calls (leader only) and `info`.
   */
  kv?: KvClient | undefined;
}

/** A member as listed: id, transport address, learner flag and published attributes. */
type Listed = Pick<Member, 'name' | 'clientURLs' | 'isLearner'> & { id: number; address: string | undefined };

/** The members from the replica alone (no raftkit/kv client). */
function fromReplica(ctx: RpcContext): Listed[] {
  const st = ctx.replica.status();
  return [...st.config.voters, ...st.config.learners].map((id) => ({ id, address: st.members.get(id), name: '', clientURLs: [], isLearner: st.config.learners.includes(id) }));
}

/** raftkit/kv's members (`peerURLs` there are transport addresses). */
function fromKv(list: readonly Member[]): Listed[] {
  return list.map((m) => ({ id: Number(m.id), address: m.peerURLs[0], name: m.name, clientURLs: m.clientURLs, isLearner: m.isLearner }));
}

/** The wire members: published attributes, else the server's settings for that member. */
function toWire(s: ClusterSettings, list: readonly Listed[]): WireMember[] {
  return list.map((m) => {
    const published = m.name !== '' || m.clientURLs.length > 0;
    const info = published ? { name: m.name, clientUrls: m.clientURLs } : s.info(m.id);
    return {
      ID: String(m.id),
      name: info?.name ?? '',
      peerURLs: m.address === undefined ? [] : [`${s.peerScheme}://${m.address}`],
      clientURLs: [...(info?.clientUrls ?? [])],
      isLearner: m.isLearner,
    };
  });
}

/**
 * The current members, as this member knows them: locally (etcd 3.4 serves MemberList so), or
 * with `linearizable` (newer etcd's MemberListRequest flag) after a ReadIndex, so the list is at
 * least as new as every membership change made before the call (`options` bound the wait).
 */
async function members(ctx: RpcContext, s: ClusterSettings, linearizable = false, options: RequestOptions = {}): Promise<WireMember[]> {
  if (s.kv !== undefined) return toWire(s, fromKv((await s.kv.cluster.memberList({ ...options, serializable: !linearizable })).members));
  if (linearizable) await ctx.replica.read(options);
  return toWire(s, fromReplica(ctx));
}

/** Makes a change through raftkit/kv's cluster client (forwarded from a follower), or the replica directly; answers the members after it. */
async function through(ctx: RpcContext, s: ClusterSettings, viaKv: (kv: KvClient) => Promise<MemberListResponse>, direct: () => Promise<void>): Promise<WireMember[]> {
  if (s.kv === undefined) {
    await direct();
    return members(ctx, s);
  }
  return toWire(s, fromKv((await viaKv(s.kv)).members));
}

/**
 * Runs a membership change. The replica refuses one that would leave too few voters in contact
 * for a quorum (its strict reconfiguration check): etcd answers that case "unhealthy cluster".
 */
async function change<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MEMBERSHIP_REFUSED') throw etcdError('unhealthy');
    throw e;
  }
}

/**
 * etcd's started-members rule for adding a voter, or removing voter `removing`
 * (IsReadyToAddVotingMember, IsReadyToRemoveVotingMember): the voters that have started (whose
 * name is known: published, or from the server's settings) must be a quorum of the voters after
 * the change. A one-member cluster may always grow to two (etcd's restore procedure does so).
 */
function enoughStarted(list: readonly WireMember[], removing?: number): boolean {
  const voters = list.filter((m) => !m.isLearner && m.ID !== String(removing));
  const started = voters.filter((m) => m.name !== '').length;
  const after = voters.length + (removing === undefined ? 1 : 0);
  if (removing === undefined && started === 1 && after === 2) return true;
  return started >= Math.floor(after / 2) + 1;
}

/** etcd's Cluster responses' header: cluster and member ids and the term, no revision. */
function clusterHeader(ctx: RpcContext): Omit<WireHeader, 'revision'> {
  const { revision: _, ...h } = ctx.header();
  return h;
}

function knownId(ctx: RpcContext, raw: unknown): number {
  const big = wireBig(raw);
  const id = Number(big);
  const cs = ctx.replica.status().config;
  if (big <= 0n || big > BigInt(Number.MAX_SAFE_INTEGER) || (!cs.voters.includes(id) && !cs.learners.includes(id))) throw etcdError('memberNotFound');
  return id;
}

/**
 * The Cluster service: MemberAdd, MemberRemove, MemberUpdate, MemberList and MemberPromote over
 * raftkit/kv's cluster client when the server has one (changes asked on a follower are forwarded
 * to the leader; names and client URLs are the ones members published through Raft), else over
 * the replica's membership changes (leader only). Each change is a Raft conf change, refused when unsafe
 * as etcd refuses it: "not enough started members" when too few voters have started (have a known
 * name), "unhealthy cluster" when too few have been in contact with the leader (`healthIntervalMs`).
 * @internal
 */
export function clusterService(ctx: RpcContext, s: ClusterSettings): UntypedServiceImplementation {
  return {
    MemberList: unary(ctx, SERVICE, 'MemberList', async (req: { linearizable?: boolean }, opts) => {
      const list = await members(ctx, s, req.linearizable === true, opts);
      return { header: clusterHeader(ctx), members: list };
    }),
    MemberAdd: unary(ctx, SERVICE, 'MemberAdd', async (req: { peerURLs: string[]; isLearner: boolean }, opts) => {
      let address: string;
      try {
        if (req.peerURLs.length === 0) throw new Error('no URL');
        address = peerAddress(req.peerURLs[0]!);
      } catch {
        throw etcdError('memberBadUrls');
      }
      const st = ctx.replica.status();
      if ([...st.members.values()].includes(address)) throw etcdError('peerUrlExist');
      const id = s.memberId(req.peerURLs);
      if (st.config.voters.includes(id) || st.config.learners.includes(id)) throw etcdError('memberExist');
      if (req.isLearner && st.config.learners.length >= s.maxLearners) throw etcdError('tooManyLearners');
      if (!req.isLearner && !enoughStarted(await members(ctx, s))) throw etcdError('memberNotEnoughStarted');
      const all = await change(() => through(ctx, s, (kv) => kv.cluster.memberAdd([address], { ...opts, learner: req.isLearner, id }), () => ctx.replica.addMember(id, address, { ...opts, learner: req.isLearner })));
      const member = all.find((m) => m.ID === String(id)) ?? { ID: String(id), name: '', peerURLs: req.peerURLs, clientURLs: [], isLearner: req.isLearner };
      return { header: clusterHeader(ctx), member: { ...member, peerURLs: req.peerURLs }, members: all };
    }),
    MemberRemove: unary(ctx, SERVICE, 'MemberRemove', async (req: { ID: string }, opts) => {
      const id = knownId(ctx, req.ID);
      if (ctx.replica.status().config.voters.includes(id) && !enoughStarted(await members(ctx, s), id)) throw etcdError('memberNotEnoughStarted');
      const all = await change(() => through(ctx, s, (kv) => kv.cluster.memberRemove(BigInt(id), opts), () => ctx.replica.removeMember(id, opts)));
      return { header: clusterHeader(ctx), members: all };
    }),
    MemberPromote: unary(ctx, SERVICE, 'MemberPromote', async (req: { ID: string }, opts) => {
      const id = knownId(ctx, req.ID);
      if (!ctx.replica.status().config.learners.includes(id)) throw etcdError('memberNotLearner');
      let all: WireMember[];
      try {
        all = await through(ctx, s, (kv) => kv.cluster.memberPromote(BigInt(id), opts), () => ctx.replica.promoteMember(id, opts));
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_MEMBERSHIP_REFUSED') throw etcdError('learnerNotReady');
        throw e;
      }
      return { header: clusterHeader(ctx), members: all };
    }),
    MemberUpdate: unary(ctx, SERVICE, 'MemberUpdate', async (req: { ID: string; peerURLs: string[] }, opts) => {
      const id = knownId(ctx, req.ID);
      let address: string;
      try {
        address = peerAddress(req.peerURLs[0] ?? '');
      } catch {
        throw etcdError('memberBadUrls');
      }
      const st = ctx.replica.status();
      for (const [other, a] of st.members) if (other !== id && a === address) throw etcdError('peerUrlExist');
      // A Raft conf change (ConfChangeUpdateNode) carrying the new address: every member's
      // transport then reaches `id` there. The member keeps its id (etcd's ids do not follow URLs).
      if (st.members.get(id) === address) return { header: clusterHeader(ctx), members: await members(ctx, s) };
      const all = await change(() => through(ctx, s, (kv) => kv.cluster.memberUpdate(BigInt(id), [address], opts), () => ctx.replica.updateMember(id, address, opts)));
      return { header: clusterHeader(ctx), members: all };
    }),
  };
}
