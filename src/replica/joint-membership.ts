import { ConfChangeTransition, ConfChangeType, type ConfChangeV2 } from '../raft/conf-change.js';
import type { ConfState } from '../raft/entry.js';
import { after, type Clock } from './clock.js';
import { AbortedError, MembershipRefusedError, TimeoutError } from './errors.js';
import { activeVoters, checkLearnerCaughtUp, quorum, type ReconfigView } from './membership.js';

/**
 * Membership changes of several members at once, through joint consensus (Raft thesis §4.3;
 * etcd's `ConfChangeV2`): the cluster first moves to the joint configuration `C_old,new`, in
 * which every decision needs a majority of the old voters *and* of the new ones, then leaves
 * it for `C_new` automatically. Replacing a member is then one request with no intermediate
 * configuration that tolerates fewer failures than the old or the new one.
 * @module
 */

/** One change in a `Replica.changeMembership` request. */
export interface MemberChange {
  /**
   * `'add-voter'` adds a voter (`address` required) or promotes a learner (`address`
   * optional); `'add-learner'` adds a non-voting member (`address` required); `'remove'`
   * removes a voter or learner.
   */
  type: 'add-voter' | 'add-learner' | 'remove';
  /** The member's id. */
  id: number;
  /** The member's address, for a member that is added. */
  address?: string | undefined;
}

/** The configuration's members: voters and learners, joint halves included. */
export function configMembers(cs: ConfState): Set<number> {
  return new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
}

/** Whether `cs` is a joint configuration. */
export function isJoint(cs: ConfState): boolean {
  return cs.votersOutgoing.length > 0;
}

/** `changes` as one {@link ConfChangeV2} that always goes through a joint configuration, left automatically. */
export function toConfChangeV2(changes: readonly MemberChange[]): ConfChangeV2 {
  const type = { 'add-voter': ConfChangeType.ConfChangeAddNode, 'add-learner': ConfChangeType.ConfChangeAddLearnerNode, remove: ConfChangeType.ConfChangeRemoveNode } as const;
  return { transition: ConfChangeTransition.ConfChangeTransitionJointImplicit, changes: changes.map((c) => ({ type: type[c.type], nodeId: c.id })) };
}

/**
 * Checks a joint change as etcd's strict reconfiguration check does for single ones: each
 * change must make sense in order (add the absent, remove the present, promote a caught-up
 * learner), no member may appear twice, and both the outgoing and the incoming voter sets
 * must keep a quorum among the voters that are reachable now (the leader counts).
 *
 * @throws {@link MembershipRefusedError} naming the rule and the numbers.
 */
export function checkJointReconfig(view: ReconfigView, changes: readonly MemberChange[]): void {
  if (changes.length === 0) throw new MembershipRefusedError('no changes given');
  if (isJoint(view.config)) throw new MembershipRefusedError('the configuration is joint: a membership change is in progress');
  const voters = new Set(view.config.voters);
  const learners = new Set(view.config.learners);
  const seen = new Set<number>();
  for (const c of changes) {
    if (!Number.isSafeInteger(c.id) || c.id <= 0) throw new MembershipRefusedError(`member id must be a positive integer, got ${c.id}`);
    if (seen.has(c.id)) throw new MembershipRefusedError(`member ${c.id} appears twice`);
    seen.add(c.id);
    const known = voters.has(c.id) || learners.has(c.id);
    if (c.type === 'remove') {
      if (!known) throw new MembershipRefusedError(`member ${c.id} is not in the cluster`);
      voters.delete(c.id);
      learners.delete(c.id);
    } else if (c.type === 'add-learner') {
      if (known) throw new MembershipRefusedError(`member ${c.id} is already in the cluster`);
      if (c.address === '') throw new MembershipRefusedError(`member ${c.id} needs an address`);
      learners.add(c.id);
    } else {
      if (voters.has(c.id)) throw new MembershipRefusedError(`member ${c.id} is already a voter`);
      if (learners.has(c.id)) checkLearnerCaughtUp(view, c.id);
      else if (c.address === undefined || c.address === '') throw new MembershipRefusedError(`member ${c.id} needs an address`);
      learners.delete(c.id);
      voters.add(c.id);
    }
  }
  if (voters.size === 0) throw new MembershipRefusedError('the change would leave no voter');
  for (const [name, set] of [['outgoing', view.config.voters], ['incoming', [...voters]]] as const) {
    const active = activeVoters(view, set);
    if (active < quorum(set.length)) {
      throw new MembershipRefusedError(`the ${name} voters would have ${active} reachable of ${set.length}, below the quorum of ${quorum(set.length)}`);
    }
  }
}

/** How the members changed from `before` to `after`: who joined (or was promoted) and who left. */
export function configDiff(before: ConfState, after: ConfState): { added: { id: number; learner: boolean }[]; removed: number[] } {
  const was = configMembers(before);
  const now = configMembers(after);
  const wasLearner = new Set([...before.learners, ...before.learnersNext]);
  const added: { id: number; learner: boolean }[] = [];
  for (const id of now) {
    const learner = after.learners.includes(id) || after.learnersNext.includes(id);
    if (!was.has(id) || (wasLearner.has(id) && !learner)) added.push({ id, learner });
  }
  return { added, removed: [...was].filter((id) => !now.has(id)) };
}

/**
 * Resolves once `config()` is no longer joint, checking after every `applied` event of
 * `events`; rejects with {@link TimeoutError} after `ms` of `clock` time, and with
 * {@link AbortedError} when `signal` aborts.
 */
export function untilLeftJoint(
  events: { on(e: 'applied', fn: () => void): unknown; off(e: 'applied', fn: () => void): unknown },
  config: () => ConfState,
  clock: Clock,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!isJoint(config())) return Promise.resolve();
  if (signal?.aborted === true) return Promise.reject(new AbortedError(signal.reason));
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      done();
      reject(new AbortedError(signal?.reason));
    };
    const done = (): void => {
      cancel();
      events.off('applied', check);
      signal?.removeEventListener('abort', abort);
    };
    const check = (): void => {
      if (isJoint(config())) return;
      done();
      resolve();
    };
    const cancel = after(clock, ms, () => {
      done();
      reject(new TimeoutError(`the joint configuration was not left within ${ms} ms`));
    });
    events.on('applied', check);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
