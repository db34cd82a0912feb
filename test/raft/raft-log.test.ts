import { expect, test } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/entry.js';
import { CompactedError, MessageRefusedError, RaftInvariantError } from '../../src/raft/errors.js';
import { RaftLog } from '../../src/raft/log.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import { silentLogger } from '../../src/raft/logger.js';
import { RaftNode } from '../../src/raft/raft-node.js';

function ent(index: number, term: number, size = 0): Entry {
  return { index, term, type: EntryType.EntryNormal, data: new Uint8Array(size) };
}

const ids = (es: Entry[]): string[] => es.map((e) => `${e.index}/${e.term}`);

/** A log over empty storage holding `ents` (all unstable). */
function unstableLog(ents: Entry[], maxApplying = Infinity): RaftLog {
  const log = new RaftLog(new MemoryStorage(), silentLogger, maxApplying);
  log.append(ents);
  return log;
}

/**
 * A log whose storage has a snapshot at 3 (term 3) and entries 4/4, 5/5, followed by
 * unstable entries 6/6, 7/7, 8/8.
 */
function splitLog(): RaftLog {
  const ms = new MemoryStorage();
  ms.applySnapshot({ data: new Uint8Array(), metadata: { index: 3, term: 3, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } });
  ms.append([ent(4, 4), ent(5, 5)]);
  const log = new RaftLog(ms, silentLogger, Infinity);
  log.append([ent(6, 6), ent(7, 7), ent(8, 8)]);
  return log;
}

const prior = (): Entry[] => [ent(1, 1), ent(2, 2), ent(3, 3)];

test.each([
  { name: 'empty', ents: [], wconflict: 0 },
  { name: 'all present', ents: prior(), wconflict: 0 },
  { name: 'present suffix', ents: [ent(2, 2), ent(3, 3)], wconflict: 0 },
  { name: 'present last', ents: [ent(3, 3)], wconflict: 0 },
  { name: 'all present plus new', ents: [ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 4)], wconflict: 4 },
  { name: 'suffix plus new', ents: [ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 4)], wconflict: 4 },
  { name: 'only new', ents: [ent(4, 4), ent(5, 4)], wconflict: 4 },
  { name: 'conflict at first', ents: [ent(1, 4), ent(2, 4)], wconflict: 1 },
  { name: 'conflict at second', ents: [ent(2, 1), ent(3, 4), ent(4, 4)], wconflict: 2 },
  { name: 'conflict at third', ents: [ent(3, 1), ent(4, 2), ent(5, 4), ent(6, 4)], wconflict: 3 },
])('raft log findConflict: $name', ({ ents, wconflict }) => {
  expect(unstableLog(prior()).findConflict(ents)).toBe(wconflict);
});

// Log terms by index: 1:2 2:2 3:5 4:5 5:5 6:6 7:6
const termLog = (): Entry[] => [ent(1, 2), ent(2, 2), ent(3, 5), ent(4, 5), ent(5, 5), ent(6, 6), ent(7, 6)];

test.each([
  { index: 7, term: 6, windex: 7, wterm: 6 },
  { index: 7, term: 7, windex: 7, wterm: 6 },
  { index: 7, term: 5, windex: 5, wterm: 5 },
  { index: 7, term: 4, windex: 2, wterm: 2 },
  { index: 5, term: 3, windex: 2, wterm: 2 },
  { index: 2, term: 2, windex: 2, wterm: 2 },
  { index: 7, term: 1, windex: 0, wterm: 0 },
  { index: 0, term: 6, windex: 0, wterm: 0 },
  // Beyond the last index the term is unknown: the index itself is a possible match.
  { index: 9, term: 6, windex: 9, wterm: 0 },
])('raft log findConflictByTerm($index, $term)', ({ index, term, windex, wterm }) => {
  expect(unstableLog(termLog()).findConflictByTerm(index, term)).toEqual({ index: windex, term: wterm });
});

test.each([
  // Storage snapshot at 3 (term 3), then 4/4 5/5 and unstable 6/6 7/7 8/8.
  { index: 8, term: 5, windex: 5, wterm: 5 },
  { index: 8, term: 3, windex: 3, wterm: 3 },
  { index: 8, term: 2, windex: 2, wterm: 0 }, // compacted: term unknown
  { index: 6, term: 4, windex: 4, wterm: 4 },
])('raft log findConflictByTerm($index, $term) across a compacted prefix', ({ index, term, windex, wterm }) => {
  expect(splitLog().findConflictByTerm(index, term)).toEqual({ index: windex, term: wterm });
});

test.each([
  { name: 'prev term mismatch', prev: { index: 3, term: 2 }, commit: 3, ents: [ent(4, 4)], wlast: undefined, wcommit: 1, wlog: ['1/1', '2/2', '3/3'] },
  { name: 'prev beyond the log', prev: { index: 4, term: 3 }, commit: 3, ents: [ent(5, 4)], wlast: undefined, wcommit: 1, wlog: ['1/1', '2/2', '3/3'] },
  { name: 'heartbeat-like, commit capped at last new', prev: { index: 3, term: 3 }, commit: 4, ents: [], wlast: 3, wcommit: 3, wlog: ['1/1', '2/2', '3/3'] },
  { name: 'commit below last new', prev: { index: 3, term: 3 }, commit: 2, ents: [], wlast: 3, wcommit: 2, wlog: ['1/1', '2/2', '3/3'] },
  { name: 'commit never decreases', prev: { index: 3, term: 3 }, commit: 0, ents: [], wlast: 3, wcommit: 1, wlog: ['1/1', '2/2', '3/3'] },
  { name: 'append one', prev: { index: 3, term: 3 }, commit: 4, ents: [ent(4, 4)], wlast: 4, wcommit: 4, wlog: ['1/1', '2/2', '3/3', '4/4'] },
  { name: 'append two, commit within', prev: { index: 3, term: 3 }, commit: 3, ents: [ent(4, 4), ent(5, 4)], wlast: 5, wcommit: 3, wlog: ['1/1', '2/2', '3/3', '4/4', '5/4'] },
  { name: 'conflict replaces the tail', prev: { index: 2, term: 2 }, commit: 3, ents: [ent(3, 4)], wlast: 3, wcommit: 3, wlog: ['1/1', '2/2', '3/4'] },
  { name: 'conflict after prev at 1', prev: { index: 1, term: 1 }, commit: 4, ents: [ent(2, 4), ent(3, 4)], wlast: 3, wcommit: 3, wlog: ['1/1', '2/4', '3/4'] },
  { name: 'already present, nothing appended', prev: { index: 0, term: 0 }, commit: 3, ents: [ent(1, 1)], wlast: 1, wcommit: 1, wlog: ['1/1', '2/2', '3/3'] },
  { name: 'present prefix then new', prev: { index: 2, term: 2 }, commit: 3, ents: [ent(3, 3), ent(4, 4)], wlast: 4, wcommit: 3, wlog: ['1/1', '2/2', '3/3', '4/4'] },
])('raft log maybeAppend: $name', ({ prev, commit, ents, wlast, wcommit, wlog }) => {
  const log = unstableLog(prior());
  log.commitTo(1);
  expect(log.maybeAppend(prev, commit, ents)).toBe(wlast);
  expect(log.committed).toBe(wcommit);
  expect(ids(log.allEntries())).toEqual(wlog);
});

test('raft log maybeAppend refuses (without a change) to overwrite a committed entry', () => {
  const log = unstableLog(prior());
  log.commitTo(2);
  expect(() => log.maybeAppend({ index: 0, term: 0 }, 3, [ent(1, 4)])).toThrow(MessageRefusedError);
  expect(ids(log.allEntries())).toEqual(['1/1', '2/2', '3/3']);
});

test.each([
  { lo: 2, hi: 6, maxSize: Infinity, wents: undefined, werr: CompactedError },
  { lo: 3, hi: 4, maxSize: Infinity, wents: undefined, werr: CompactedError },
  { lo: 4, hi: 6, maxSize: Infinity, wents: ['4/4', '5/5'], werr: undefined },
  { lo: 4, hi: 7, maxSize: Infinity, wents: ['4/4', '5/5', '6/6'], werr: undefined },
  { lo: 5, hi: 9, maxSize: Infinity, wents: ['5/5', '6/6', '7/7', '8/8'], werr: undefined },
  { lo: 6, hi: 9, maxSize: Infinity, wents: ['6/6', '7/7', '8/8'], werr: undefined },
  { lo: 6, hi: 6, maxSize: Infinity, wents: [], werr: undefined },
  { lo: 9, hi: 9, maxSize: Infinity, wents: [], werr: undefined },
  { lo: 4, hi: 10, maxSize: Infinity, wents: undefined, werr: RaftInvariantError },
  { lo: 5, hi: 4, maxSize: Infinity, wents: undefined, werr: RaftInvariantError },
  // Entries weigh 16 bytes each; at least one entry is returned.
  { lo: 4, hi: 9, maxSize: 0, wents: ['4/4'], werr: undefined },
  { lo: 4, hi: 9, maxSize: 32, wents: ['4/4', '5/5'], werr: undefined },
  { lo: 4, hi: 9, maxSize: 47, wents: ['4/4', '5/5'], werr: undefined },
  { lo: 4, hi: 9, maxSize: 48, wents: ['4/4', '5/5', '6/6'], werr: undefined },
  { lo: 5, hi: 9, maxSize: 16, wents: ['5/5'], werr: undefined },
  { lo: 5, hi: 9, maxSize: 32, wents: ['5/5', '6/6'], werr: undefined },
  { lo: 6, hi: 9, maxSize: 16, wents: ['6/6'], werr: undefined },
  { lo: 6, hi: 9, maxSize: 40, wents: ['6/6', '7/7'], werr: undefined },
])('raft log slice($lo, $hi, $maxSize) across storage and unstable', ({ lo, hi, maxSize, wents, werr }) => {
  const log = splitLog();
  if (werr !== undefined) {
    expect(() => log.slice(lo, hi, maxSize)).toThrow(werr);
    return;
  }
  expect(ids(log.slice(lo, hi, maxSize))).toEqual(wents);
});

test('raft log bounds and terms across storage and unstable', () => {
  const log = splitLog();
  expect(log.firstIndex()).toBe(4);
  expect(log.lastIndex()).toBe(8);
  expect(log.term(3)).toBe(3);
  expect(log.term(5)).toBe(5);
  expect(log.term(7)).toBe(7);
  expect(() => log.term(2)).toThrow(CompactedError);
  expect(log.termOrUndefined(2)).toBeUndefined();
  expect(log.termOrUndefined(9)).toBeUndefined();
  expect(log.matchTerm(3, 3)).toBe(true);
  expect(log.matchTerm(6, 5)).toBe(false);
});

test.each([
  { tocommit: 3, wcommit: 3, werr: false },
  { tocommit: 2, wcommit: 2, werr: false },
  { tocommit: 1, wcommit: 2, werr: false }, // never decreases
  { tocommit: 4, wcommit: 2, werr: true }, // beyond the last index
])('raft log commitTo($tocommit) from 2', ({ tocommit, wcommit, werr }) => {
  const log = unstableLog(prior());
  log.commitTo(2);
  if (werr) expect(() => log.commitTo(tocommit)).toThrow(RaftInvariantError);
  else log.commitTo(tocommit);
  expect(log.committed).toBe(wcommit);
});

test.each([
  { applied: 1, to: 2, wapplied: 2, werr: false },
  { applied: 1, to: 3, wapplied: 3, werr: false },
  { applied: 1, to: 1, wapplied: 1, werr: false },
  { applied: 2, to: 1, wapplied: 2, werr: true }, // going backwards
  { applied: 1, to: 4, wapplied: 1, werr: true }, // beyond the commit index
])('raft log appliedTo($to) with applied $applied and committed 3', ({ applied, to, wapplied, werr }) => {
  const log = unstableLog([...prior(), ent(4, 4)]);
  log.commitTo(3);
  log.appliedTo(applied, 0);
  if (werr) expect(() => log.appliedTo(to, 0)).toThrow(RaftInvariantError);
  else log.appliedTo(to, 0);
  expect(log.applied).toBe(wapplied);
  expect(log.applying).toBeGreaterThanOrEqual(log.applied);
});

test.each([
  // Entries 1..5 of term 1; storage holds 1..3, entries 4 and 5 are unstable; committed 5.
  { name: 'everything committed', applied: 0, applying: 0, paused: false, allowUnstable: true, wents: [1, 2, 3, 4, 5] },
  { name: 'stable only', applied: 0, applying: 0, paused: false, allowUnstable: false, wents: [1, 2, 3] },
  { name: 'some applied', applied: 2, applying: 2, paused: false, allowUnstable: true, wents: [3, 4, 5] },
  { name: 'some applying', applied: 1, applying: 3, paused: false, allowUnstable: true, wents: [4, 5] },
  { name: 'stable all applying', applied: 1, applying: 3, paused: false, allowUnstable: false, wents: [] },
  { name: 'all applied', applied: 5, applying: 5, paused: false, allowUnstable: true, wents: [] },
  { name: 'paused', applied: 0, applying: 0, paused: true, allowUnstable: true, wents: [] },
])('raft log nextCommittedEnts: $name', ({ applied, applying, paused, allowUnstable, wents }) => {
  const ms = new MemoryStorage();
  ms.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
  const log = new RaftLog(ms, silentLogger, Infinity);
  log.append([ent(4, 1), ent(5, 1)]);
  log.commitTo(5);
  log.appliedTo(applied, 0);
  if (applying > applied) log.acceptApplying(applying, 0, allowUnstable);
  // Force the pause flag: acceptApplying would set it for a batch that was cut short.
  log.applyingEntsPaused = paused;
  expect(log.nextCommittedEnts(allowUnstable).map((e) => e.index)).toEqual(wents);
  expect(log.hasNextCommittedEnts(allowUnstable)).toBe(wents.length > 0);
});

test('raft log nextCommittedEnts pages by maxCommittedSizePerReady and waits for appliedTo', () => {
  // Each entry weighs 10 + 16 = 26 bytes; 60 bytes fit two.
  const log = unstableLog([1, 2, 3, 4, 5].map((i) => ent(i, 1, 10)), 60);
  log.commitTo(5);
  const page1 = log.nextCommittedEnts(true);
  expect(page1.map((e) => e.index)).toEqual([1, 2]);
  log.acceptApplying(2, 52, true);
  // The batch was cut short: nothing more until the application reports it applied.
  expect(log.hasNextCommittedEnts(true)).toBe(false);
  expect(log.nextCommittedEnts(true)).toEqual([]);
  log.appliedTo(2, 52);
  const page2 = log.nextCommittedEnts(true);
  expect(page2.map((e) => e.index)).toEqual([3, 4]);
  log.acceptApplying(4, 52, true);
  log.appliedTo(4, 52);
  expect(log.nextCommittedEnts(true).map((e) => e.index)).toEqual([5]);
});

test('raft log nextCommittedEnts returns one entry even when it exceeds the limit', () => {
  const log = unstableLog([ent(1, 1, 100), ent(2, 1, 100)], 50);
  log.commitTo(2);
  expect(log.nextCommittedEnts(true).map((e) => e.index)).toEqual([1]);
});

test('raft log hands out no committed entries while a snapshot is pending', () => {
  const log = unstableLog(prior());
  log.restore({ data: new Uint8Array(), metadata: { index: 5, term: 3, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } });
  expect(log.committed).toBe(5);
  expect(log.hasNextCommittedEnts(true)).toBe(false);
  expect(log.nextCommittedEnts(true)).toEqual([]);
  expect(log.firstIndex()).toBe(6);
  expect(log.lastIndex()).toBe(5);
});

test('Ready.committedEntries is paged by maxCommittedSizePerReady', () => {
  const storage = new MemoryStorage({ voters: [1] });
  const node = new RaftNode({ id: 1, storage, seed: 1, maxCommittedSizePerReady: 100 });
  node.campaign();
  const pages: number[][] = [];
  const drain = (): void => {
    while (node.hasReady()) {
      const rd = node.ready();
      storage.append(rd.entries);
      if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
      if (rd.committedEntries.length > 0) pages.push(rd.committedEntries.map((e) => e.index));
      node.advance(rd);
    }
  };
  drain();
  pages.length = 0;
  // Entries of 30 + 16 = 46 bytes: two fit in 100 bytes.
  for (let i = 0; i < 5; i++) node.propose(new Uint8Array(30));
  drain();
  expect(pages).toEqual([[2, 3], [4, 5], [6]]);
  expect(node.status().applied).toBe(6);
});
