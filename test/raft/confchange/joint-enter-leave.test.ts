import { expect, test } from 'vitest';
import { Session, lines } from './helpers.js';

test('enter and leave a joint configuration', () => {
  const s = new Session();
  s.simple('v1');
  expect(s.enterJoint(false, 'v2 v3')).toBe(
    lines('voters=(1 2 3)&&(1)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=2'),
  );
  expect(s.enterJoint(false, 'v4')).toBe('config is already joint');
  expect(s.simple('v4')).toBe("can't apply simple config change in joint config");
  expect(s.leaveJoint()).toBe(
    lines('voters=(1 2 3)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=2'),
  );
  expect(s.leaveJoint()).toBe("can't leave a non-joint config");
});

test('a joint config may replace every voter', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  expect(s.enterJoint(false, 'r1 r2 v3 v4')).toBe(
    lines(
      'voters=(3 4)&&(1 2)',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2',
      '3: StateProbe match=0 next=3',
      '4: StateProbe match=0 next=3',
    ),
  );
  // Outgoing voters keep their progress until the joint config is left.
  expect(s.leaveJoint()).toBe(lines('voters=(3 4)', '3: StateProbe match=0 next=3', '4: StateProbe match=0 next=3'));
});

test('entering joint needs voters and must keep some incoming voter', () => {
  const s = new Session();
  expect(s.enterJoint(false, 'v1')).toBe("can't make a zero-voter config joint");
  s.simple('v1');
  expect(s.enterJoint(false, 'r1')).toBe('removed all voters');
  expect(s.enterJoint(false, 'l1')).toBe('removed all voters');
});

test('enter joint with no changes, then leave', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  expect(s.enterJoint(false, '')).toBe(
    lines('voters=(1 2)&&(1 2)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2'),
  );
  expect(s.leaveJoint()).toBe(lines('voters=(1 2)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2'));
});

test('removing and re-adding inside the joint config keeps the progress', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  s.trk.progress.get(2)!.maybeUpdate(5);
  expect(s.enterJoint(false, 'r2 v2')).toBe(
    lines('voters=(1 2)&&(1 2)', '1: StateProbe match=0 next=1', '2: StateProbe match=5 next=6'),
  );
});

test('learners are added and removed freely in a joint config', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('l2');
  expect(s.enterJoint(false, 'r2 l3 v4')).toBe(
    lines(
      'voters=(1 4)&&(1) learners=(3)',
      '1: StateProbe match=0 next=1',
      '3: StateProbe match=0 next=3 learner',
      '4: StateProbe match=0 next=3',
    ),
  );
  expect(s.leaveJoint()).toBe(
    lines('voters=(1 4) learners=(3)', '1: StateProbe match=0 next=1', '3: StateProbe match=0 next=3 learner', '4: StateProbe match=0 next=3'),
  );
});
