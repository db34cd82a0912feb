import { expect, test } from 'vitest';
import { Session, lines } from './helpers.js';

test('learners are promoted and voters demoted one at a time', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  expect(s.simple('v3')).toBe(
    lines('voters=(1 2 3)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=3'),
  );
  // Demote and promote in one go: nothing changes, the progress is kept.
  expect(s.simple('l1 v1')).toBe(
    lines('voters=(1 2 3)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=3'),
  );
  expect(s.simple('l2')).toBe(
    lines(
      'voters=(1 3) learners=(2)',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2 learner',
      '3: StateProbe match=0 next=3',
    ),
  );
  // Promote then demote again.
  expect(s.simple('v2 l2')).toBe(
    lines(
      'voters=(1 3) learners=(2)',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2 learner',
      '3: StateProbe match=0 next=3',
    ),
  );
  expect(s.simple('v2')).toBe(
    lines('voters=(1 2 3)', '1: StateProbe match=0 next=1', '2: StateProbe match=0 next=2', '3: StateProbe match=0 next=3'),
  );
  // Adding an existing learner again, or a voter as voter again, is idempotent.
  s.simple('l4');
  expect(s.simple('l4 l4 v1 v1')).toBe(
    lines(
      'voters=(1 2 3) learners=(4)',
      '1: StateProbe match=0 next=1',
      '2: StateProbe match=0 next=2',
      '3: StateProbe match=0 next=3',
      '4: StateProbe match=0 next=8 learner',
    ),
  );
});

test('a demoted voter keeps its replication progress', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  const pr = s.trk.progress.get(2)!;
  pr.maybeUpdate(7);
  pr.becomeReplicate();
  s.simple('l2');
  const after = s.trk.progress.get(2)!;
  expect(after).not.toBe(pr); // cloned: the old tracker's object is untouched
  expect(pr.isLearner).toBe(false);
  expect(after.isLearner).toBe(true);
  expect(after.toString()).toBe('StateReplicate match=7 next=8 learner');
});

test('unchanged peers keep their Progress object; removed peers are dropped', () => {
  const s = new Session();
  s.simple('v1');
  s.simple('v2');
  const one = s.trk.progress.get(1)!;
  s.simple('r2');
  expect(s.trk.progress.get(1)).toBe(one);
  expect(s.trk.progress.has(2)).toBe(false);
});
