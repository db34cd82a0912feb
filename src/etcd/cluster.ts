import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { etcdError } from './errors.js';
import { peerAddress, type MemberInfo } from './members.js';
import { unary, wireBig, type RpcContext } from './rpc.js';

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
  /** The name and client URLs of member `id`, when known. */
  info(id: number): MemberInfo | undefined;
  /** The scheme of peer URLs (`http` or `https`), to turn transport addresses back into URLs. */
  peerScheme: string;
}

function members(ctx: RpcContext, s: ClusterSettings): WireMember[] {
  const st = ctx.replica.status();
  const out: WireMember[] = [];
  for (const id of [...st.config.voters, ...st.config.learners]) {
    const info = s.info(id);
    const addr = st.members.get(id);
    out.push({
      ID: String(id),
      name: info?.name ?? '',
      peerURLs: addr === undefined ? [] : [`${s.peerScheme}://${addr}`],
      clientURLs: [...(info?.clientUrls ?? [])],
      isLearner: st.config.learners.includes(id),
    });
  }
  return out;
}

/** Runs a membership change, answering a refused (unsafe) one with etcd's quorum error. */
async function change(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MEMBERSHIP_REFUSED') throw etcdError('memberNotEnoughStarted');
    throw e;
  }
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
 * the replica's membership changes (each one a Raft conf change, refused when unsafe).
 * @internal
 */
export function clusterService(ctx: RpcContext, s: ClusterSettings): UntypedServiceImplementation {
  return {
    MemberList: unary(ctx, SERVICE, 'MemberList', () => ({ header: ctx.header(), members: members(ctx, s) })),
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
      await change(() => ctx.replica.addMember(id, address, { ...opts, learner: req.isLearner }));
      const all = members(ctx, s);
      const member = all.find((m) => m.ID === String(id)) ?? { ID: String(id), name: '', peerURLs: req.peerURLs, clientURLs: [], isLearner: req.isLearner };
      return { header: ctx.header(), member: { ...member, peerURLs: req.peerURLs }, members: all };
    }),
    MemberRemove: unary(ctx, SERVICE, 'MemberRemove', async (req: { ID: string }, opts) => {
      const id = knownId(ctx, req.ID);
      await change(() => ctx.replica.removeMember(id, opts));
      return { header: ctx.header(), members: members(ctx, s) };
    }),
    MemberPromote: unary(ctx, SERVICE, 'MemberPromote', async (req: { ID: string }, opts) => {
      const id = knownId(ctx, req.ID);
      if (!ctx.replica.status().config.learners.includes(id)) throw etcdError('memberNotLearner');
      try {
        await ctx.replica.promoteMember(id, opts);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_MEMBERSHIP_REFUSED') throw etcdError('learnerNotReady');
        throw e;
      }
      return { header: ctx.header(), members: members(ctx, s) };
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
      if (st.members.get(id) !== address) await change(() => ctx.replica.updateMember(id, address, opts));
      return { header: ctx.header(), members: members(ctx, s) };
    }),
  };
}
