import { after, type Clock } from '../../replica/clock.js';
import { MembershipRefusedError } from '../../replica/errors.js';
import type { MemberAttributes } from './member-attrs.js';
import { MemberForwarder } from './member-forward.js';
import type { KvCommand } from '../commands.js';
import type { KvClient } from '../kv-client.js';
import type { ResponseHeader } from '../types.js';
import { splitRequestOptions, type KvRequestOptions } from '../request-options.js';

/** A cluster member (`etcdserverpb.Member`). */
export interface Member {
  /** The member id. */
  id: bigint;
  /** The name the member published (`''` until it has, as etcd shows a member not started yet). */
  name: string;
  /** The addresses other members reach it at (its transport address). */
  peerURLs: string[];
  /** The client URLs the member published (none until it has). */
  clientURLs: string[];
  /** Whether it is a learner. */
  isLearner: boolean;
}

/** The answer to the membership calls (`MemberListResponse` and friends). */
export interface MemberListResponse {
  /** The response header. */
  header: ResponseHeader;
  /** The members after the call. */
  members: Member[];
}

/** The answer to `memberAdd` (`MemberAddResponse`). */
export interface MemberAddResponse extends MemberListResponse {
  /** The member added. */
  member: Member;
}

/** A random positive member id below 2^31. */
function randomMemberId(): number {
  return (globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1) || 1;
}

/**
 * etcd's `Cluster` service over the Replica's membership: members are the Raft configuration
 * plus the replicated address book; changes go through Raft with the Replica's strict
 * reconfiguration checks (etcd's `--strict-reconfig-check`: a change must keep a quorum of
 * reachable voters; a learner is promoted only once caught up). Changes asked on a follower are
 * forwarded to the leader through the log, as etcd forwards them ({@link MemberForwarder}). Names and client URLs are what each
 * member published ({@link ClusterClient.publish}; `KvClientOptions.name` and `clientUrls`).
 * Every call but `publish` takes the {@link KvRequestOptions}.
 */
export class ClusterClient {
  readonly #kv: KvClient;
  readonly #forward: MemberForwarder;

  /** @param kv - the member's client. */
  constructor(kv: KvClient) {
    this.#kv = kv;
    this.#forward = new MemberForwarder(kv);
  }

  /** The members as this member knows them (after a read barrier unless `serializable`). */
  async memberList(options: { serializable?: boolean } & KvRequestOptions = {}): Promise<MemberListResponse> {
    const [rest, opts] = splitRequestOptions(options);
    if (rest.serializable !== true) await this.#kv.readBarrier(opts);
    return this.#list();
  }

  #list(): MemberListResponse {
    const s = this.#kv.replica.status();
    const ids = [...new Set([...s.config.voters, ...s.config.learners, ...s.config.votersOutgoing, ...s.config.learnersNext])].sort((a, b) => a - b);
    const members = ids.map((id) => this.#member(id));
    return { header: this.#kv.header(this.#kv.stateMachine.store.visibleRev), members };
  }

  #member(id: number): Member {
    const s = this.#kv.replica.status();
    const address = s.members.get(id);
    const attrs = this.#kv.stateMachine.members.get(BigInt(id));
    return { id: BigInt(id), name: attrs?.name ?? '', peerURLs: address === undefined ? [] : [address], clientURLs: [...(attrs?.clientUrls ?? [])], isLearner: s.config.learners.includes(id) };
  }

  /**
   * Publishes this member's name and client URLs through Raft, so `memberList` on every member
   * shows them (etcd's `publish` when a member starts): retried every `retryMs` of `clock` time
   * until applied, or until the replica stops. Resolves `false` if it stopped first.
   */
  async publish(attrs: MemberAttributes, clock: Clock, retryMs = 500): Promise<boolean> {
    const replica = this.#kv.replica;
    const id = BigInt(replica.id);
    const cmd: KvCommand = { op: 'memberAttrs', memberId: id, name: attrs.name, clientUrls: [...attrs.clientUrls] };
    for (;;) {
      if (replica.lifecycle === 'closing' || replica.lifecycle === 'closed') return false;
      const now = this.#kv.stateMachine.members.get(id);
      if (now !== undefined && now.name === attrs.name && now.clientUrls.join(' ') === attrs.clientUrls.join(' ')) return true;
      try {
        await this.#kv.propose(cmd);
        return true;
      } catch {
        await new Promise<void>((resolve) => after(clock, retryMs, resolve));
      }
    }
  }

  /**
   * Adds a member reachable at `peerUrls[0]` (a voter, or a learner with `{ learner: true }`); it
   * gets `options.id`, or a new random id (etcd's server derives it from the peer URLs).
   */
  async memberAdd(peerUrls: readonly string[], options: { learner?: boolean; id?: number } & KvRequestOptions = {}): Promise<MemberAddResponse> {
    const [rest, opts] = splitRequestOptions(options);
    const address = peerUrls[0];
    if (address === undefined || address === '') throw new MembershipRefusedError('memberAdd needs a peer URL');
    const known = [...this.#kv.replica.status().members.values()];
    if (known.includes(address)) throw new MembershipRefusedError(`peer URL ${address} is already used by a member`);
    const id = rest.id ?? randomMemberId();
    const learner = rest.learner === true;
    await this.#forward.change({ action: 'add', id, address, learner }, opts);
    return { ...this.#list(), member: this.#member(id) };
  }

  /** Removes a member. */
  async memberRemove(id: bigint, options: KvRequestOptions = {}): Promise<MemberListResponse> {
    const opts = splitRequestOptions(options)[1];
    await this.#forward.change({ action: 'remove', id: Number(id) }, opts);
    return this.#list();
  }

  /** Promotes a learner to voter (refused until it has caught up). */
  async memberPromote(id: bigint, options: KvRequestOptions = {}): Promise<MemberListResponse> {
    const opts = splitRequestOptions(options)[1];
    await this.#forward.change({ action: 'promote', id: Number(id) }, opts);
    return this.#list();
  }

  /** Changes a member's peer URL (its transport address) on every member. */
  async memberUpdate(id: bigint, peerUrls: readonly string[], options: KvRequestOptions = {}): Promise<MemberListResponse> {
    const opts = splitRequestOptions(options)[1];
    const address = peerUrls[0];
    if (address === undefined || address === '') throw new MembershipRefusedError('memberUpdate needs a peer URL');
    await this.#forward.change({ action: 'update', id: Number(id), address }, opts);
    return this.#list();
  }
}
