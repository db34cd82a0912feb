import { expect, test } from 'vitest';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { TimeoutError } from '../../src/replica/errors.js';
import { Proposals } from '../../src/replica/proposals.js';

// When another entry commits at the index a request's entry had, that entry can never commit.
// A request this replica appended itself (as leader) is then certainly lost; one it forwarded
// to a leader may have been delivered twice, and another copy may still commit elsewhere (the
// Jepsen-style suite found one: KV on 3 members, seed 10440, where a put reported as dropped had
// taken effect through its duplicate).

test('an overwritten request fails at once when this replica appended it; a forwarded one waits for another copy, or its deadline', async () => {
  const failures: string[] = [];
  const p = new Proposals((reason) => failures.push(reason));
  const forwarded = p.add<string>(1, 1000);
  p.forwarded(1);
  p.noteIndex(1, 118);
  const local = p.add<string>(2, 1000);
  p.noteIndex(2, 119);
  const lone = p.add<string>(3, 1000);
  p.forwarded(3);
  p.noteIndex(3, 120);
  // A new leader's entries commit at 118-120.
  for (const index of [118, 119, 120]) p.applied(index, undefined, 'another');
  await expect(local).rejects.toBeInstanceOf(ProposalDroppedError);
  expect(p.has(1) && p.has(3)).toBe(true);
  // The forwarded request's duplicate, appended by the new leader, commits at 121: it answers.
  p.noteIndex(1, 121);
  p.applied(121, 1, 'applied');
  await expect(forwarded).resolves.toBe('applied');
  // No copy of the other one commits: its outcome is unknown at its deadline.
  p.sweep(1000);
  await expect(lone).rejects.toBeInstanceOf(TimeoutError);
  expect(failures).toEqual(['dropped', 'timeout']);
});
