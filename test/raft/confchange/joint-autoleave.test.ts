import { expect, test } from 'vitest';
import { Session, lines } from './helpers.js';

test('autoLeave is recorded on entering and cleared on leaving', () => {
  const s = new Session();
  s.simple('v1');
  expect(s.enterJoint(true, 'v2 v3')).toBe(
    lines(
      'voters=(1 2 3)&&(1) autoleave',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2',
      '3: StateProbe match=0 next=2',
    ),
  );
  expect(s.trk.config.autoLeave).toBe(true);
  expect(s.trk.confState().autoLeave).toBe(true);
  expect(s.enterJoint(true, '')).toBe('config is already joint');
  expect(s.leaveJoint()).toBe(
    lines('voters=(1 2 3)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=2'),
  );
  expect(s.trk.config.autoLeave).toBe(false);
});

test('explicit joint configs do not auto-leave', () => {
  const s = new Session();
  s.simple('v1');
  s.enterJoint(false, 'v2');
  expect(s.trk.config.autoLeave).toBe(false);
  expect(s.trk.config.voters.isJoint()).toBe(true);
});
