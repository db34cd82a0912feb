import { expect, test } from 'vitest';
import { EntryType, emptyConfState, type Entry, type Snapshot } from '../../src/raft/entry.js';
import { Unstable } from '../../src/raft/log-unstable.js';

function ent(index: number, term: number): Entry {
  return { index, term, type: EntryType.EntryNormal, data: new Uint8Array(0) };
}

function snap(index: number, term: number): Snapshot {
  return { data: new Uint8Array(0), metadata: { index, term, confState: emptyConfState() } };
}

interface Spec {
  entries: Entry[];
  offset: number;
  offsetInProgress?: number;
  snapshot?: Snapshot;
  snapshotInProgress?: boolean;
}

function unstable(s: Spec): Unstable {
  const u = new Unstable(s.offset);
  u.entries = s.entries.slice();
  u.offsetInProgress = s.offsetInProgress ?? s.offset;
  u.snapshot = s.snapshot;
  u.snapshotInProgress = s.snapshotInProgress ?? false;
  return u;
}

const ids = (es: Entry[]): string[] => es.map((e) => `${e.index}/${e.term}`);

test.each([
  // entries only
  { entries: [ent(5, 1)], offset: 5, snapshot: undefined, index: 5, wterm: 1 },
  { entries: [ent(5, 1)], offset: 5, snapshot: undefined, index: 6, wterm: undefined },
  { entries: [ent(5, 1)], offset: 5, snapshot: undefined, index: 4, wterm: undefined },
  // entries after a snapshot
  { entries: [ent(5, 1)], offset: 5, snapshot: snap(4, 1), index: 5, wterm: 1 },
  { entries: [ent(5, 1)], offset: 5, snapshot: snap(4, 1), index: 6, wterm: undefined },
  { entries: [ent(5, 1)], offset: 5, snapshot: snap(4, 1), index: 4, wterm: 1 },
  { entries: [ent(5, 1)], offset: 5, snapshot: snap(4, 1), index: 3, wterm: undefined },
  // snapshot only
  { entries: [], offset: 5, snapshot: snap(4, 1), index: 5, wterm: undefined },
  { entries: [], offset: 5, snapshot: snap(4, 1), index: 4, wterm: 1 },
  // nothing
  { entries: [], offset: 0, snapshot: undefined, index: 5, wterm: undefined },
])('unstable maybeTerm($index) over $entries.length entries at offset $offset', ({ entries, offset, snapshot, index, wterm }) => {
  const u = unstable(snapshot === undefined ? { entries, offset } : { entries, offset, snapshot });
  expect(u.maybeTerm(index)).toBe(wterm);
});

test.each([
  { name: 'nothing unstable', entries: [], offset: 0, inProgress: 0, snapshot: undefined, index: 5, term: 1, woffset: 0, winProgress: 0, wlen: 0 },
  { name: 'all stable', entries: [ent(5, 1)], offset: 5, inProgress: 6, snapshot: undefined, index: 5, term: 1, woffset: 6, winProgress: 6, wlen: 0 },
  { name: 'prefix stable', entries: [ent(5, 1), ent(6, 1)], offset: 5, inProgress: 6, snapshot: undefined, index: 5, term: 1, woffset: 6, winProgress: 6, wlen: 1 },
  { name: 'prefix stable, rest in progress', entries: [ent(5, 1), ent(6, 1)], offset: 5, inProgress: 7, snapshot: undefined, index: 5, term: 1, woffset: 6, winProgress: 7, wlen: 1 },
  { name: 'stable before in progress', entries: [ent(5, 1), ent(6, 1)], offset: 5, inProgress: 5, snapshot: undefined, index: 5, term: 1, woffset: 6, winProgress: 6, wlen: 1 },
  { name: 'term mismatch (entry replaced)', entries: [ent(6, 2)], offset: 6, inProgress: 7, snapshot: undefined, index: 6, term: 1, woffset: 6, winProgress: 7, wlen: 1 },
  { name: 'index below offset', entries: [ent(5, 1)], offset: 5, inProgress: 6, snapshot: undefined, index: 4, term: 1, woffset: 5, winProgress: 6, wlen: 1 },
  { name: 'index below offset, other term', entries: [ent(5, 1)], offset: 5, inProgress: 6, snapshot: undefined, index: 4, term: 2, woffset: 5, winProgress: 6, wlen: 1 },
  { name: 'entry after a snapshot', entries: [ent(5, 1)], offset: 5, inProgress: 6, snapshot: snap(4, 1), index: 5, term: 1, woffset: 6, winProgress: 6, wlen: 0 },
  { name: 'the snapshot index itself', entries: [], offset: 5, inProgress: 5, snapshot: snap(4, 1), index: 4, term: 1, woffset: 5, winProgress: 5, wlen: 0 },
  { name: 'snapshot, term mismatch', entries: [ent(6, 2)], offset: 6, inProgress: 7, snapshot: snap(5, 1), index: 6, term: 1, woffset: 6, winProgress: 7, wlen: 1 },
])('unstable stableTo: $name', ({ entries, offset, inProgress, snapshot, index, term, woffset, winProgress, wlen }) => {
  const spec: Spec = { entries, offset, offsetInProgress: inProgress };
  if (snapshot !== undefined) spec.snapshot = snapshot;
  const u = unstable(spec);
  u.stableTo(index, term);
  expect({ offset: u.offset, inProgress: u.offsetInProgress, len: u.entries.length }).toEqual({
    offset: woffset,
    inProgress: winProgress,
    len: wlen,
  });
});

test.each([
  { name: 'append at the end', entries: [ent(5, 1)], offset: 5, inProgress: 6, toAppend: [ent(6, 1), ent(7, 1)], woffset: 5, winProgress: 6, wentries: ['5/1', '6/1', '7/1'] },
  { name: 'replace everything from the offset', entries: [ent(5, 1)], offset: 5, inProgress: 6, toAppend: [ent(5, 2), ent(6, 2)], woffset: 5, winProgress: 5, wentries: ['5/2', '6/2'] },
  { name: 'replace from before the offset', entries: [ent(5, 1)], offset: 5, inProgress: 6, toAppend: [ent(4, 2), ent(5, 2), ent(6, 2)], woffset: 4, winProgress: 4, wentries: ['4/2', '5/2', '6/2'] },
  { name: 'truncate in the middle (handed-out part cut)', entries: [ent(5, 1), ent(6, 1), ent(7, 1)], offset: 5, inProgress: 8, toAppend: [ent(6, 2)], woffset: 5, winProgress: 6, wentries: ['5/1', '6/2'] },
  { name: 'truncate the tail', entries: [ent(5, 1), ent(6, 1), ent(7, 1)], offset: 5, inProgress: 6, toAppend: [ent(7, 2), ent(8, 2)], woffset: 5, winProgress: 6, wentries: ['5/1', '6/1', '7/2', '8/2'] },
  { name: 'append to nothing', entries: [], offset: 5, inProgress: 5, toAppend: [ent(5, 1)], woffset: 5, winProgress: 5, wentries: ['5/1'] },
])('unstable truncateAndAppend: $name', ({ entries, offset, inProgress, toAppend, woffset, winProgress, wentries }) => {
  const u = unstable({ entries, offset, offsetInProgress: inProgress });
  u.truncateAndAppend(toAppend);
  expect({ offset: u.offset, inProgress: u.offsetInProgress, entries: ids(u.entries) }).toEqual({
    offset: woffset,
    inProgress: winProgress,
    entries: wentries,
  });
});

test('unstable restore replaces entries and snapshot and resets in-progress marks', () => {
  const u = unstable({ entries: [ent(5, 1)], offset: 5, offsetInProgress: 6, snapshot: snap(4, 1), snapshotInProgress: true });
  const s = snap(6, 2);
  u.restore(s);
  expect({ offset: u.offset, inProgress: u.offsetInProgress, len: u.entries.length }).toEqual({ offset: 7, inProgress: 7, len: 0 });
  expect(u.snapshot).toBe(s);
  expect(u.snapshotInProgress).toBe(false);
  expect(u.nextSnapshot()).toBe(s);
  expect(u.maybeFirstIndex()).toBe(7);
  expect(u.maybeLastIndex()).toBe(6);
});

test.each([
  { entries: [ent(5, 1)], offset: 5, snapshot: undefined, wfirst: undefined, wlast: 5 },
  { entries: [], offset: 0, snapshot: undefined, wfirst: undefined, wlast: undefined },
  { entries: [ent(5, 1)], offset: 5, snapshot: snap(4, 1), wfirst: 5, wlast: 5 },
  { entries: [], offset: 5, snapshot: snap(4, 1), wfirst: 5, wlast: 4 },
])('unstable maybeFirstIndex/maybeLastIndex with $entries.length entries', ({ entries, offset, snapshot, wfirst, wlast }) => {
  const u = unstable(snapshot === undefined ? { entries, offset } : { entries, offset, snapshot });
  expect(u.maybeFirstIndex()).toBe(wfirst);
  expect(u.maybeLastIndex()).toBe(wlast);
});

test('unstable nextEntries hands out each entry once until truncation re-exposes it', () => {
  const u = unstable({ entries: [ent(5, 1), ent(6, 1)], offset: 5 });
  expect(ids(u.nextEntries())).toEqual(['5/1', '6/1']);
  u.acceptInProgress();
  expect(u.hasNextEntries()).toBe(false);
  expect(u.nextEntries()).toEqual([]);
  u.truncateAndAppend([ent(6, 2), ent(7, 2)]);
  expect(ids(u.nextEntries())).toEqual(['6/2', '7/2']);
  u.stableTo(5, 1);
  expect(ids(u.nextEntries())).toEqual(['6/2', '7/2']);
});
