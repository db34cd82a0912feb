import { expect, test } from 'vitest';
import { Session, lines } from './helpers.js';

test('simple changes change at most one voter and never remove all voters', () => {
  const s = new Session();
  expect(s.simple('l1')).toBe('removed all voters');
  expect(s.simple('v1')).toBe(lines('voters=(1)', '1: StateProbe match=0 next=2'));
  expect(s.simple('v2 l3')).toBe(
    lines(
      'voters=(1 2) learners=(3)',
      '1: StateProbe match=0 next=2',
      '2: StateProbe match=0 next=3',
      '3: StateProbe match=0 next=3 learner',
    ),
  );
  const before = s.simple('u1'); // no-op, but installs an equal config
  expect(s.simple('r1 v5')).toBe('more than one voter changed without entering joint config');
  expect(s.simple('r1 r2')).toBe('removed all voters');
  expect(s.simple('v3 v4')).toBe('more than one voter changed without entering joint config');
  expect(s.simple('l1 v5')).toBe('more than one voter changed without entering joint config');
  expect(s.simple('l1 l2')).toBe('removed all voters');
  expect(s.simple('u2')).toBe(before); // the failed changes left nothing behind
  expect(s.simple('l2 l3 l4 l5')).toBe(
    lines(
      'voters=(1) learners=(2 3 4 5)',
      '1: StateProbe match=0 next=2',
      '2: StateProbe match=0 next=3 learner',
      '3: StateProbe match=0 next=3 learner',
      '4: StateProbe match=0 next=11 learner',
      '5: StateProbe match=0 next=11 learner',
    ),
  );
  expect(s.simple('r1')).toBe('removed all voters');
  expect(s.simple('r2 r3 r4 r5')).toBe(lines('voters=(1)', '1: StateProbe match=0 next=2'));
});

test('removing an unknown node is a no-op', () => {
  const s = new Session();
  s.simple('v1');
  expect(s.simple('r7')).toBe(lines('voters=(1)', '1: StateProbe match=0 next=1'));
});

test('node id 0 is skipped and update changes nothing', () => {
  const s = new Session();
  expect(s.simple('v0')).toBe('removed all voters');
  expect(s.simple('v1 v0 l0 r0 u1 u9')).toBe(lines('voters=(1)', '1: StateProbe match=0 next=2'));
});

test('new peers start probing at max(lastIndex, 1), recently active', () => {
  const s = new Session();
  s.simple('v1'); // lastIndex 1
  s.simple('v2'); // lastIndex 2
  const pr = s.trk.progress.get(2)!;
  expect(pr.next).toBe(2);
  expect(pr.match).toBe(0);
  expect(pr.recentActive).toBe(true);
  expect(pr.inflights.size).toBe(10);
  expect(pr.inflights.maxBytes).toBe(Infinity);
});
