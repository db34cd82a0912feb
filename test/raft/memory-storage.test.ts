import { expect, test } from 'vitest';
import { EntryType, emptyConfState, type Entry } from '../../src/raft/entry.js';
import { CompactedError, SnapOutOfDateError, UnavailableError } from '../../src/raft/errors.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import type { RaftkitError } from '../../src/errors.js';

function ent(index: number, term: number, size = 0): Entry {
  return { index, term, type: EntryType.EntryNormal, data: new Uint8Array(size) };
}

const ids = (es: Entry[]): string[] => es.map((e) => `${e.index}/${e.term}`);

/** A storage whose snapshot is at index 3 (term 3), followed by entries 4/4 and 5/5. */
function storage(): MemoryStorage {
  const ms = new MemoryStorage({ voters: [1, 2, 3] });
  ms.append([ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 5)]);
  ms.createSnapshot(3, undefined, new Uint8Array([7]));
  ms.compact(3);
  return ms;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as RaftkitError).code;
  }
}

test('memory storage first and last index around a compacted prefix', () => {
  const ms = storage();
  expect(ms.firstIndex()).toBe(4);
  expect(ms.lastIndex()).toBe(5);
  const empty = new MemoryStorage();
  expect(empty.firstIndex()).toBe(1);
  expect(empty.lastIndex()).toBe(0);
});

test.each([
  { i: 2, wterm: undefined, wcode: 'ERR_COMPACTED' },
  { i: 3, wterm: 3, wcode: undefined }, // the snapshot's own index keeps its term
  { i: 4, wterm: 4, wcode: undefined },
  { i: 5, wterm: 5, wcode: undefined },
  { i: 6, wterm: undefined, wcode: 'ERR_UNAVAILABLE' },
])('memory storage term($i)', ({ i, wterm, wcode }) => {
  const ms = storage();
  expect(codeOf(() => ms.term(i))).toBe(wcode);
  if (wcode === undefined) expect(ms.term(i)).toBe(wterm);
});

test('memory storage errors are typed', () => {
  const ms = storage();
  expect(() => ms.term(1)).toThrow(CompactedError);
  expect(() => ms.term(9)).toThrow(UnavailableError);
  expect(() => ms.createSnapshot(2, undefined, new Uint8Array())).toThrow(SnapOutOfDateError);
});

test.each([
  { lo: 2, hi: 6, maxSize: Infinity, wents: undefined, wcode: 'ERR_COMPACTED' },
  { lo: 3, hi: 4, maxSize: Infinity, wents: undefined, wcode: 'ERR_COMPACTED' },
  { lo: 4, hi: 5, maxSize: Infinity, wents: ['4/4'], wcode: undefined },
  { lo: 4, hi: 6, maxSize: Infinity, wents: ['4/4', '5/5'], wcode: undefined },
  { lo: 5, hi: 5, maxSize: Infinity, wents: [], wcode: undefined },
  { lo: 4, hi: 7, maxSize: Infinity, wents: undefined, wcode: 'ERR_UNAVAILABLE' },
  // Each entry weighs 16 bytes; at least one entry is returned whatever the limit.
  { lo: 4, hi: 6, maxSize: 0, wents: ['4/4'], wcode: undefined },
  { lo: 4, hi: 6, maxSize: 31, wents: ['4/4'], wcode: undefined },
  { lo: 4, hi: 6, maxSize: 32, wents: ['4/4', '5/5'], wcode: undefined },
])('memory storage entries($lo, $hi, $maxSize)', ({ lo, hi, maxSize, wents, wcode }) => {
  const ms = storage();
  expect(codeOf(() => ms.entries(lo, hi, maxSize))).toBe(wcode);
  if (wents !== undefined) expect(ids(ms.entries(lo, hi, maxSize))).toEqual(wents);
});

test.each([
  { compactIndex: 2, wcode: 'ERR_COMPACTED', wfirst: 4, wterm: 3 },
  { compactIndex: 3, wcode: 'ERR_COMPACTED', wfirst: 4, wterm: 3 },
  { compactIndex: 4, wcode: undefined, wfirst: 5, wterm: 4 },
  { compactIndex: 5, wcode: undefined, wfirst: 6, wterm: 5 },
  { compactIndex: 6, wcode: 'ERR_UNAVAILABLE', wfirst: 4, wterm: 3 },
])('memory storage compact($compactIndex)', ({ compactIndex, wcode, wfirst, wterm }) => {
  const ms = storage();
  expect(codeOf(() => ms.compact(compactIndex))).toBe(wcode);
  expect(ms.firstIndex()).toBe(wfirst);
  expect(ms.lastIndex()).toBe(5);
  // The term just before the first index is still answered.
  expect(ms.term(wfirst - 1)).toBe(wterm);
  expect(codeOf(() => ms.entries(wfirst - 1, 6, Infinity))).toBe('ERR_COMPACTED');
});

test.each([
  { i: 3, wcode: 'ERR_SNAP_OUT_OF_DATE', windex: 3, wterm: 3 },
  { i: 4, wcode: undefined, windex: 4, wterm: 4 },
  { i: 5, wcode: undefined, windex: 5, wterm: 5 },
  { i: 6, wcode: 'ERR_UNAVAILABLE', windex: 3, wterm: 3 },
])('memory storage createSnapshot($i)', ({ i, wcode, windex, wterm }) => {
  const ms = storage();
  const cs = { ...emptyConfState(), voters: [1, 2], learners: [3] };
  expect(codeOf(() => ms.createSnapshot(i, cs, new Uint8Array([i])))).toBe(wcode);
  const s = ms.snapshot();
  expect(s.metadata).toMatchObject({ index: windex, term: wterm });
  if (wcode === undefined) {
    expect(s.metadata.confState).toEqual(cs);
    expect(s.data).toEqual(new Uint8Array([i]));
  }
  // Creating a snapshot does not compact.
  expect(ms.firstIndex()).toBe(4);
});

test('memory storage createSnapshot without a confState keeps the previous one', () => {
  const ms = storage();
  expect(ms.createSnapshot(4, undefined, new Uint8Array()).metadata.confState.voters).toEqual([1, 2, 3]);
  expect(ms.initialState().confState.voters).toEqual([1, 2, 3]);
});

test.each([
  { index: 2, wcode: 'ERR_SNAP_OUT_OF_DATE', wfirst: 4, wlast: 5 },
  { index: 3, wcode: 'ERR_SNAP_OUT_OF_DATE', wfirst: 4, wlast: 5 },
  { index: 4, wcode: undefined, wfirst: 5, wlast: 4 },
  { index: 10, wcode: undefined, wfirst: 11, wlast: 10 },
])('memory storage applySnapshot at $index', ({ index, wcode, wfirst, wlast }) => {
  const ms = storage();
  const s = { data: new Uint8Array(), metadata: { index, term: 9, confState: { ...emptyConfState(), voters: [1] } } };
  expect(codeOf(() => ms.applySnapshot(s))).toBe(wcode);
  expect(ms.firstIndex()).toBe(wfirst);
  expect(ms.lastIndex()).toBe(wlast);
  if (wcode === undefined) {
    expect(ms.term(index)).toBe(9);
    expect(ms.initialState().confState.voters).toEqual([1]);
  }
});

test.each([
  { name: 'same entries', ents: [ent(4, 4), ent(5, 5)], wcode: undefined, wents: ['4/4', '5/5'] },
  { name: 'conflicting last entry', ents: [ent(4, 4), ent(5, 6)], wcode: undefined, wents: ['4/4', '5/6'] },
  { name: 'extends the log', ents: [ent(4, 4), ent(5, 5), ent(6, 5)], wcode: undefined, wents: ['4/4', '5/5', '6/5'] },
  { name: 'starts inside the snapshot: the compacted part is ignored', ents: [ent(2, 3), ent(3, 3), ent(4, 5)], wcode: undefined, wents: ['4/5'] },
  { name: 'entirely inside the snapshot', ents: [ent(1, 1), ent(2, 2)], wcode: undefined, wents: ['4/4', '5/5'] },
  { name: 'truncates from the middle', ents: [ent(5, 6)], wcode: undefined, wents: ['4/4', '5/6'] },
  { name: 'direct append', ents: [ent(6, 5)], wcode: undefined, wents: ['4/4', '5/5', '6/5'] },
  { name: 'gap after the last index', ents: [ent(7, 5)], wcode: 'ERR_UNAVAILABLE', wents: ['4/4', '5/5'] },
  { name: 'nothing', ents: [], wcode: undefined, wents: ['4/4', '5/5'] },
])('memory storage append: $name', ({ ents, wcode, wents }) => {
  const ms = storage();
  expect(codeOf(() => ms.append(ents))).toBe(wcode);
  expect(ids(ms.entries(ms.firstIndex(), ms.lastIndex() + 1, Infinity))).toEqual(wents);
});

test('memory storage persists the hard state it is given', () => {
  const ms = new MemoryStorage();
  expect(ms.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
  const hs = { term: 3, vote: 2, commit: 7 };
  ms.setHardState(hs);
  hs.term = 99; // later mutation of the caller's object does not leak in
  expect(ms.initialState().hardState).toEqual({ term: 3, vote: 2, commit: 7 });
});
