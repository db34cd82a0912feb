import { ConfChangeType, type ConfChangeSingle } from '../conf-change.js';
import type { ConfState } from '../entry.js';
import { cloneTrackerConfig } from '../tracker/progress-tracker.js';
import { Changer, type ChangeResult } from './changer.js';

/**
 * Translates a {@link ConfState} into two lists of changes (etcd's `toConfChangeSingle`):
 * `outgoing` builds, from an empty config, the config that will become the outgoing half;
 * `incoming`, applied on top of it while entering a joint config, yields the ConfState.
 * `outgoing` is empty when the ConfState is not joint; `incoming` then builds it directly.
 *
 * For `voters=(1 2 3) learners=(5) outgoing=(1 2 4 6) learners_next=(4)`:
 * outgoing = add 1, add 2, add 4, add 6; incoming = remove 1, remove 2, remove 4,
 * remove 6, add 1, add 2, add 3, add-learner 5, add-learner 4. Whether 5 was a learner
 * before the joint config is unknowable, and does not matter.
 */
export function toConfChangeSingle(cs: ConfState): { outgoing: ConfChangeSingle[]; incoming: ConfChangeSingle[] } {
  const outgoing: ConfChangeSingle[] = [];
  const incoming: ConfChangeSingle[] = [];
  for (const id of cs.votersOutgoing) outgoing.push({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
  // Entering the joint config copies the outgoing voters into the incoming half; take
  // them out again, then add what the incoming half really holds.
  for (const id of cs.votersOutgoing) incoming.push({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: id });
  for (const id of cs.voters) incoming.push({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
  for (const id of cs.learners) incoming.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });
  // Staged learners are outgoing voters, so adding them as learners stages them again.
  for (const id of cs.learnersNext) incoming.push({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });
  return { outgoing, incoming };
}

/**
 * Builds the configuration described by `cs` (etcd's `confchange.Restore`), starting from
 * `changer`'s configuration, which should be empty. A non-joint ConfState is built by one
 * simple change per id; a joint one by building the outgoing voters with simple changes
 * and then entering the joint config with the rest. `changer`'s tracker is not modified.
 *
 * Invariant: restoring `cs` into an empty tracker and reading back `confState()` yields
 * `cs` (with sorted lists), for every valid `cs`.
 *
 * @throws {@link ConfigInvalidError} when `cs` is not a valid configuration.
 */
export function restore(changer: Changer, cs: ConfState): ChangeResult {
  const { outgoing, incoming } = toConfChangeSingle(cs);
  const base = changer.tracker;
  let cur: ChangeResult = { config: base.config, progress: base.progress };
  const next = (): Changer =>
    new Changer(
      {
        config: cur.config,
        progress: cur.progress,
        maxInflight: base.maxInflight,
        maxInflightBytes: base.maxInflightBytes,
      },
      changer.lastIndex,
    );
  if (outgoing.length === 0) {
    for (const cc of incoming) cur = next().simple([cc]);
  } else {
    // Build the outgoing voters as a plain config first, e.g. (2 3 4)&&() ...
    for (const cc of outgoing) cur = next().simple([cc]);
    // ... then rotate them into the outgoing half and build the incoming one:
    // (1 2 3)&&(2 3 4).
    cur = next().enterJoint(cs.autoLeave, incoming);
  }
  if (cur.config === base.config) {
    // Nothing to do: still return copies, never the tracker's own objects.
    return { config: cloneTrackerConfig(cur.config), progress: new Map(cur.progress) };
  }
  return cur;
}
