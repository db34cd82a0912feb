import { describe, expect, test } from 'vitest';
import type { ConfChangeType } from '../../../src/raft/conf-change.js';
import { Changer } from '../../../src/raft/confchange/index.js';
import { ConfigInvalidError } from '../../../src/raft/errors.js';
import { JointConfig, MajorityConfig } from '../../../src/raft/quorum/index.js';
import { Inflights, Progress, ProgressTracker } from '../../../src/raft/tracker/index.js';
import { ccs } from './helpers.js';

function trackerWith(voters: number[], learners: number[], progressIds: number[], learnerFlags: number[] = learners): ProgressTracker {
  const trk = new ProgressTracker(10, Infinity);
  trk.config = {
    voters: new JointConfig(new MajorityConfig(voters)),
    autoLeave: false,
    learners: new Set(learners),
    learnersNext: new Set(),
  };
  for (const id of progressIds) {
    trk.progress.set(
      id,
      new Progress({ match: 0, next: 1, inflights: new Inflights(10, Infinity), isLearner: learnerFlags.includes(id) }),
    );
  }
  return trk;
}

function errorOf(f: () => unknown): ConfigInvalidError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError);
    return err as ConfigInvalidError;
  }
  throw new Error('expected an error');
}

describe('Changer errors', () => {
  test('errors are ConfigInvalidError with code ERR_CONFIG_INVALID', () => {
    const err = errorOf(() => new Changer(new ProgressTracker(1, 1), 0).simple(ccs('l1')));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toBe('removed all voters');
  });

  test('unknown change type', () => {
    const trk = trackerWith([1], [], [1]);
    const err = errorOf(() => new Changer(trk, 1).simple([{ type: 9 as ConfChangeType, nodeId: 2 }]));
    expect(err.message).toBe('unexpected conf type 9');
  });

  test.each([
    { name: 'voter without progress', voters: [1, 2], learners: [], prs: [1], want: 'no progress for 2' },
    { name: 'learner without progress', voters: [1], learners: [3], prs: [1], want: 'no progress for 3' },
    { name: 'learner that is a voter', voters: [1, 3], learners: [3], prs: [1, 3], want: '3 is in Learners and Voters[0]' },
    { name: 'learner not marked', voters: [1], learners: [3], prs: [1, 3], flags: [], want: '3 is in Learners, but is not marked as learner' },
  ])('an inconsistent input tracker is refused: $name', ({ voters, learners, prs, flags, want }) => {
    const trk = trackerWith(voters, learners, prs, flags ?? learners);
    expect(errorOf(() => new Changer(trk, 1).simple(ccs('u1'))).message).toBe(want);
    expect(errorOf(() => new Changer(trk, 1).enterJoint(false, ccs('u1'))).message).toBe(want);
  });

  test('a non-joint config with staged learners or autoLeave is refused', () => {
    const trk = trackerWith([1], [], [1]);
    trk.config.autoLeave = true;
    expect(errorOf(() => new Changer(trk, 1).simple([])).message).toBe('AutoLeave must be false when not joint');
    trk.config.autoLeave = false;
    trk.config.learnersNext.add(1);
    expect(errorOf(() => new Changer(trk, 1).simple([])).message).toBe('1 is in LearnersNext, but not Voters[1]');
  });

  test('a staged learner already marked as learner is refused', () => {
    const trk = trackerWith([1], [], [1, 2], [2]);
    trk.config.voters.outgoing = new MajorityConfig([1, 2]);
    trk.config.learnersNext.add(2);
    expect(errorOf(() => new Changer(trk, 1).leaveJoint()).message).toBe(
      '2 is in LearnersNext, but is already marked as learner',
    );
  });

  test('a learner that is an outgoing voter is refused', () => {
    const trk = trackerWith([1], [2], [1, 2]);
    trk.config.voters.outgoing = new MajorityConfig([1, 2]);
    expect(errorOf(() => new Changer(trk, 1).leaveJoint()).message).toBe('2 is in Learners and Voters[1]');
  });
});
