import { expect, test } from 'vitest';
import { matchDeliveries } from '../../bench/etcd-rows.js';

// The etcd bench's watch row: what its p99 is made of, each put matched to its event by revision.

test('each put is matched to its own revision\'s event: times from its start and after its answer', () => {
  // Puts (start, answer, revision): revision 7 answered at 10, its event at 9 (before the answer);
  // revision 5 answered at 6, its event at 8.
  const sent = [1, 10, 7, 2, 6, 5];
  const arrived = new Map([[5, 8], [7, 9]]);
  const fromStart: number[] = [];
  const afterAnswer: number[] = [];
  matchDeliveries(sent, arrived, fromStart, afterAnswer);
  expect(fromStart).toEqual([8, 6]);
  expect(afterAnswer).toEqual([-1, 2]);
});

test('a put whose event never arrived is left out, and the results are appended to', () => {
  const fromStart = [100];
  const afterAnswer = [50];
  matchDeliveries([0, 3, 4, 1, 2, 9], new Map([[9, 5], [4000, 1]]), fromStart, afterAnswer);
  expect(fromStart).toEqual([100, 4]);
  expect(afterAnswer).toEqual([50, 3]);
});
