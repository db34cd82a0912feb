import { ConfChangeType, type ConfChange } from '../raft/conf-change.js';
import type { ConfState } from '../raft/entry.js';
import type { ProgressStatus } from '../raft/status.js';
import type { Transport } from '../transport/transport.js';
import { after, type Cancel, type Clock } from './clock.js';
import { LearnerNotReadyError, MembershipRefusedError } from './errors.js';

/** A member's id and network address. */
export interface PeerAddress {
  /** The member's id (a positive integer). */
  id: number;
  /** The member's address, as understood by the transport (for example `host:port`). */
  address: string;
}

/**
 * The address book of the cluster, kept in step with the applied configuration: conf change
 * entries carry the member's address in their context, and snapshots carry the whole book, so
 * every member (including one that joins later) learns every peer's address. Peers are added
 * to and removed from the transport as the book changes; this member itself never is.
 */
export class Members {
  private readonly self: number;
  private readonly transport: Transport;
  private readonly book = new Map<number, string>();

  /**
   * @param self - this member's id.
   * @param transport - the transport to keep in step.
   */
  constructor(self: number, transport: Transport) {
    this.self = self;
    this.transport = transport;
  }

  /** The known addresses, by member id (including this member's, when known). */
  addresses(): Map<number, string> {
    return new Map(this.book);
  }

  /** Records `id`'s address (a no-op for an empty address) and tells the transport. */
  set(id: number, address: string): void {
    if (address === '' || this.book.get(id) === address) return;
    this.book.set(id, address);
    if (id !== this.self) this.transport.addPeer(id, address);
  }

  /** Forgets `id` and tells the transport. */
  delete(id: number): void {
    this.book.delete(id);
    if (id !== this.self) this.transport.removePeer(id);
  }

  /**
   * Forgets a removed peer after `ms`, unless `isMember()` says it was added back meanwhile.
   * The delay lets the messages that tell it about its removal (the new commit) still go out.
   */
  removeLater(clock: Clock, ms: number, id: number, isMember: () => boolean): Cancel {
    return after(clock, ms, () => {
      if (!isMember()) this.delete(id);
    });
  }

  /** Replaces the book with the one from a snapshot, restricted to the members of `cs`. */
  reset(book: ReadonlyMap<number, string>, cs: ConfState): void {
    const ids = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
    for (const id of [...this.book.keys()]) if (!ids.has(id)) this.delete(id);
    for (const [id, address] of book) if (ids.has(id)) this.set(id, address);
  }
}

/** What the strict reconfiguration check looks at: the leader's view of the cluster. */
export interface ReconfigView {
  /** The leader's id. */
  leader: number;
  /** The current configuration. */
  config: ConfState;
  /** The leader's progress of every member. */
  progress: ReadonlyMap<number, ProgressStatus>;
  /** Whether `id` is reachable now: recently active in the progress and heard from within an election timeout. */
  isActive(id: number): boolean;
  /**
   * Whether `id` is reachable and has been without a break for the health interval (etcd's
   * `isConnectedSince(now - HealthInterval)`): what a voter needs to count toward a quorum.
   */
  isConnected(id: number): boolean;
  /** The most a learner's match index may trail the leader's before promotion is refused. */
  learnerMaxLag: number;
}

/** The quorum of `n` voters. */
export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** How many of `voters` have been reachable for the health interval (the leader always counts). */
export function activeVoters(view: ReconfigView, voters: Iterable<number>): number {
  let n = 0;
  for (const id of voters) if (id === view.leader || view.isConnected(id)) n++;
  return n;
}

/**
 * Checks a membership change like etcd's strict reconfiguration check (etcdserver
 * `mayAddMember`, `mayPromoteMember`, `mayRemoveMember`): the change must leave a quorum of
 * the *new* voter set among the voters that are reachable now (except that a single voter may
 * add a second, as etcd allows), and a learner may only be promoted once it has caught up. Learner changes never affect quorums and only need the
 * member to be absent (to add) or present (to remove).
 *
 * With `strict` false (etcd's `--strict-reconfig-check=false`) the quorum rule is skipped.
 *
 * @throws {@link MembershipRefusedError} naming the rule and the numbers.
 */
export function checkReconfig(view: ReconfigView, cc: ConfChange, strict = true): void {
  const voters = new Set(view.config.voters);
  const learners = new Set(view.config.learners);
  const id = cc.nodeId;
  const known = voters.has(id) || learners.has(id);
  switch (cc.type) {
    case ConfChangeType.ConfChangeAddLearnerNode:
      if (known) throw new MembershipRefusedError(`member ${id} is already in the cluster`);
      return;
    case ConfChangeType.ConfChangeAddNode: {
      if (voters.has(id)) throw new MembershipRefusedError(`member ${id} is already a voter`);
      if (learners.has(id)) checkLearnerCaughtUp(view, id);
      const next = [...voters, id];
      // As etcd (IsReadyToAddVoterMember): one voter may add a second, which is how a single
      // member grows (and how etcd's restore procedure rebuilds a cluster). There is no quorum
      // until the new member has started and caught up.
      if (voters.size === 1 || !strict) return;
      const active = activeVoters(view, next);
      if (active < quorum(next.length)) {
        throw new MembershipRefusedError(
          `adding voter ${id} would leave ${active} reachable voters of ${next.length}, below the quorum of ${quorum(next.length)}`,
        );
      }
      return;
    }
    case ConfChangeType.ConfChangeRemoveNode: {
      if (!known) throw new MembershipRefusedError(`member ${id} is not in the cluster`);
      if (learners.has(id)) return;
      const next = [...voters].filter((v) => v !== id);
      if (next.length === 0) throw new MembershipRefusedError(`cannot remove ${id}, the last voter`);
      if (!strict) return;
      const active = activeVoters(view, next);
      if (active < quorum(next.length)) {
        throw new MembershipRefusedError(
          `removing voter ${id} would leave ${active} reachable voters of ${next.length}, below the quorum of ${quorum(next.length)}`,
        );
      }
      return;
    }
    case ConfChangeType.ConfChangeUpdateNode:
      if (!known) throw new MembershipRefusedError(`member ${id} is not in the cluster`);
      return;
  }
}

/** Refuses to promote learner `id` unless it is reachable and at most `learnerMaxLag` behind the leader. */
export function checkLearnerCaughtUp(view: ReconfigView, id: number): void {
  const leaderMatch = view.progress.get(view.leader)?.match ?? 0;
  const match = view.progress.get(id)?.match ?? 0;
  if (!view.isActive(id) || leaderMatch - match > view.learnerMaxLag) {
    throw new LearnerNotReadyError(
      `learner ${id} has not caught up: match ${match}, leader ${leaderMatch} (at most ${view.learnerMaxLag} behind, and reachable)`,
    );
  }
}
