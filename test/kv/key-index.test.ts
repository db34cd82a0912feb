import { describe, expect, test } from 'vitest';
import { KeyIndex } from '../../src/kv/mvcc/key-index.js';
import { revKey } from '../../src/kv/mvcc/store.js';

const r = (main: number, sub = 0) => ({ main, sub });

/** put 2, put 4, tombstone 6, put 8, put 10, tombstone 12, put 14, put 16 (etcd's keyIndex test fixture shape). */
function fixture(): KeyIndex {
  const ki = new KeyIndex('foo');
  ki.put(r(2));
  ki.put(r(4));
  ki.tombstone(r(6));
  ki.put(r(8));
  ki.put(r(10));
  ki.tombstone(r(12));
  ki.put(r(14));
  ki.put(r(16));
  return ki;
}

describe('KeyIndex (etcd keyIndex semantics)', () => {
  test.each([
    [1, undefined],
    [2, { mod: 2, created: 2, version: 1 }],
    [5, { mod: 4, created: 2, version: 2 }],
    [6, undefined],
    [7, undefined],
    [9, { mod: 8, created: 8, version: 1 }],
    [11, { mod: 10, created: 8, version: 2 }],
    [12, undefined],
    [15, { mod: 14, created: 14, version: 1 }],
    [100, { mod: 16, created: 14, version: 2 }],
  ])('get(%i)', (at, want) => {
    const got = fixture().get(at);
    expect(got === undefined ? undefined : { mod: got.modified.main, created: got.created.main, version: got.version }).toEqual(want);
  });

  test('tombstone of a deleted key does nothing', () => {
    const ki = new KeyIndex('k');
    expect(ki.tombstone(r(1))).toBe(false);
    ki.put(r(2));
    expect(ki.tombstone(r(3))).toBe(true);
    expect(ki.tombstone(r(4))).toBe(false);
  });

  test.each([
    // [compact at, generations left (mains), kept revisions]
    [1, [[2, 4, 6], [8, 10, 12], [14, 16], []], []],
    [2, [[2, 4, 6], [8, 10, 12], [14, 16]], ['2_0']],
    [5, [[4, 6], [8, 10, 12], [14, 16]], ['4_0']],
    [6, [[8, 10, 12], [14, 16]], []],
    [9, [[8, 10, 12], [14, 16]], ['8_0']],
    [11, [[10, 12], [14, 16]], ['10_0']],
    [12, [[14, 16]], []],
    [16, [[16]], ['16_0']],
  ])('compact(%i) keeps the right revisions', (at, wantGens, wantKeep) => {
    const ki = fixture();
    const keep = new Set<string>();
    ki.compact(at, keep, revKey);
    expect(ki.generations.filter((g) => g.revs.length > 0).map((g) => g.revs.map((x) => x.main))).toEqual(wantGens.filter((g) => g.length > 0));
    expect([...keep]).toEqual(wantKeep);
  });

  test('compacting a deleted key past its tombstone empties it', () => {
    const ki = new KeyIndex('k');
    ki.put(r(2));
    ki.tombstone(r(3));
    expect(ki.compact(3, undefined, revKey)).toBe(true);
  });

  test('since keeps the last sub of each main revision', () => {
    const ki = new KeyIndex('k');
    ki.put(r(2, 0));
    ki.put(r(3, 0));
    ki.put(r(3, 1));
    ki.tombstone(r(4, 0));
    expect(ki.since(3)).toEqual([r(3, 1), r(4, 0)]);
  });

  test.each([
    [1, []], [2, ['2_0']], [3, ['2_0']], [5, ['4_0']], [6, []], [7, []], [9, ['8_0']], [11, ['10_0']],
    [12, []], [13, []], [15, ['14_0']], [16, ['16_0']], [100, ['16_0']],
  ])('keep(%i) names what a compaction there would keep, and changes nothing (etcd\'s keyIndex.keep, which HashKV hashes by)', (at, want) => {
    const ki = fixture();
    const keep = new Set<string>();
    ki.keep(at, keep, revKey);
    expect([...keep]).toEqual(want);
    expect(ki.generations.map((g) => g.revs.map((x) => x.main))).toEqual(fixture().generations.map((g) => g.revs.map((x) => x.main)));
    const compacted = new Set<string>();
    fixture().compact(at, compacted, revKey);
    expect([...compacted]).toEqual(want);
  });
});
