import { expect, test } from 'vitest';
import { Session, lines } from './helpers.js';

test('demoting an outgoing voter stages it in learners_next until the joint config is left', () => {
  const s = new Session();
  s.simple('v1');
  expect(s.enterJoint(false, 'v2 l1')).toBe(
    lines('voters=(2)&&(1) learners_next=(1)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2'),
  );
  expect(s.trk.confState().learnersNext).toEqual([1]);
  expect(s.trk.learnerNodes()).toEqual([]);
  expect(s.leaveJoint()).toBe(
    lines('voters=(2) learners=(1)', '1: StateProbe match=0 next=1 learner', '2: StateProbe match=0 next=2'),
  );
});

test('a staged learner promoted back to voter leaves learners_next', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  expect(s.enterJoint(true, 'l2 v3')).toBe(
    lines(
      'voters=(1 3)&&(1 2) learners_next=(2) autoleave',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2',
      '3: StateProbe match=0 next=3',
    ),
  );
  // Can't change the joint config further; leave and re-enter instead.
  expect(s.leaveJoint()).toBe(
    lines('voters=(1 3) learners=(2)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2 learner', '3: StateProbe match=0 next=3'),
  );
  expect(s.enterJoint(false, 'v2 l3')).toBe(
    lines(
      'voters=(1 2)&&(1 3) learners_next=(3)',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2',
      '3: StateProbe match=0 next=3',
    ),
  );
});

test('staging then promoting and removing within one enter', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  s.simple('v3');
  // l3 stages 3; v3 takes it back; l2 stages 2; r2 removes it from staging (still outgoing).
  expect(s.enterJoint(false, 'l3 v3 l2 r2')).toBe(
    lines('voters=(1 3)&&(1 2 3)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=3'),
  );
  expect(s.leaveJoint()).toBe(lines('voters=(1 3)', '1: StateProbe match=0 next=1', '3: StateProbe match=0 next=3'));
});

test('a learner that is not an outgoing voter is added directly even in a joint config', () => {
  const s = new Session();
  s.simple('v1');
  expect(s.enterJoint(false, 'v2 l5')).toBe(
    lines('voters=(1 2)&&(1) learners=(5)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '5: StateProbe match=0 next=2 learner'),
  );
});
