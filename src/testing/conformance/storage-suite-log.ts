import assert from 'node:assert/strict';
import type { StorageCapabilities } from '../../storage/storage.js';
import { code, conf, ent, seed, show, snap, type SuiteTest } from './storage-suite.js';

/**
 * The log groups of the storage suite: term, entries, first/last index, append with
 * truncation, maxSize paging, snapshot apply and create, compaction (after etcd's
 * storage_test.go cases).
 *
 * @internal
 */
export function registerLogTests(t: SuiteTest, caps: StorageCapabilities): void {
  t('an empty storage has first index 1, last index 0 and term(0) = 0', ({ storage: s }) => {
    assert.equal(s.firstIndex(), 1);
    assert.equal(s.lastIndex(), 0);
    assert.equal(s.term(0), 0);
    assert.deepEqual(s.entries(1, 1, Infinity), []);
    assert.throws(() => s.term(1), code('ERR_UNAVAILABLE'));
    assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
    assert.equal(s.snapshot().metadata.index, 0);
  });

  t('term answers from the snapshot index to the last index', async ({ storage: s }) => {
    await seed(s);
    assert.throws(() => s.term(2), code('ERR_COMPACTED'));
    assert.equal(s.term(3), 3);
    assert.equal(s.term(4), 4);
    assert.equal(s.term(5), 5);
    assert.throws(() => s.term(6), code('ERR_UNAVAILABLE'));
  });

  t('entries returns [lo, hi) and refuses compacted or unavailable ranges', async ({ storage: s }) => {
    await seed(s, 6);
    assert.throws(() => s.entries(2, 6, Infinity), code('ERR_COMPACTED'));
    assert.throws(() => s.entries(3, 4, Infinity), code('ERR_COMPACTED'));
    assert.deepEqual(show(s.entries(4, 5, Infinity)), show([ent(4, 4)]));
    assert.deepEqual(show(s.entries(4, 6, Infinity)), show([ent(4, 4), ent(5, 5)]));
    assert.deepEqual(show(s.entries(4, 7, Infinity)), show([ent(4, 4), ent(5, 5), ent(6, 6)]));
    assert.throws(() => s.entries(4, 8, Infinity), code('ERR_UNAVAILABLE'));
  });

  t('entries pages by maxSize and always returns at least one entry', async ({ storage: s }) => {
    await seed(s, 6);
    const size = 24; // entrySize of an 8-byte payload
    assert.equal(s.entries(4, 7, 0).length, 1);
    assert.equal(s.entries(4, 7, size - 1).length, 1);
    assert.equal(s.entries(4, 7, size).length, 1);
    assert.equal(s.entries(4, 7, 2 * size).length, 2);
    assert.equal(s.entries(4, 7, 3 * size - 1).length, 2);
    assert.equal(s.entries(4, 7, 3 * size).length, 3);
  });

  t('firstIndex and lastIndex follow snapshots, appends and compaction', async ({ storage: s }) => {
    await seed(s);
    assert.equal(s.firstIndex(), 4);
    assert.equal(s.lastIndex(), 5);
    await s.save({ entries: [ent(6, 5)], sync: true });
    assert.equal(s.lastIndex(), 6);
    await s.createSnapshot(5, undefined, new Uint8Array([1]));
    await s.compact(4);
    assert.equal(s.firstIndex(), 5);
    assert.equal(s.lastIndex(), 6);
  });

  const appendCases: { name: string; entries: ReturnType<typeof ent>[]; want: ReturnType<typeof ent>[] }[] = [
    { name: 'the same entries', entries: [ent(3, 3), ent(4, 4), ent(5, 5)], want: [ent(4, 4), ent(5, 5)] },
    { name: 'a conflicting suffix', entries: [ent(3, 3), ent(4, 6), ent(5, 6)], want: [ent(4, 6), ent(5, 6)] },
    { name: 'one more entry', entries: [ent(3, 3), ent(4, 4), ent(5, 5), ent(6, 5)], want: [ent(4, 4), ent(5, 5), ent(6, 5)] },
    { name: 'entries the snapshot covers', entries: [ent(2, 3), ent(3, 3), ent(4, 5)], want: [ent(4, 5)] },
    { name: 'a conflict in the middle', entries: [ent(4, 5)], want: [ent(4, 5)] },
    { name: 'a direct append', entries: [ent(6, 5)], want: [ent(4, 4), ent(5, 5), ent(6, 5)] },
  ];
  for (const c of appendCases) {
    t(`save appends ${c.name}, truncating what conflicts`, async ({ storage: s }) => {
      await seed(s);
      await s.save({ entries: c.entries, sync: true });
      assert.deepEqual(show(s.entries(4, s.lastIndex() + 1, Infinity)), show(c.want));
      assert.equal(s.lastIndex(), c.want[c.want.length - 1]!.index);
    });
  }

  t('save refuses entries that would leave a gap', async ({ storage: s }) => {
    await seed(s);
    await assert.rejects(async () => s.save({ entries: [ent(7, 5)], sync: true }), code('ERR_UNAVAILABLE'));
    assert.equal(s.lastIndex(), 5);
  });

  t('save persists hard state, snapshot and entries together', async ({ storage: s }) => {
    await s.save({ hardState: { term: 7, vote: 2, commit: 10 }, snapshot: snap(10, 6), entries: [ent(11, 7), ent(12, 7)], sync: true });
    assert.deepEqual(s.initialState(), { hardState: { term: 7, vote: 2, commit: 10 }, confState: conf(1, 2, 3) });
    assert.equal(s.firstIndex(), 11);
    assert.equal(s.lastIndex(), 12);
    assert.equal(s.term(10), 6);
    assert.deepEqual(s.snapshot().metadata, snap(10, 6).metadata);
  });

  t('applySnapshot replaces the log and refuses an older snapshot', async ({ storage: s }) => {
    await seed(s);
    await s.applySnapshot(snap(8, 6));
    assert.equal(s.firstIndex(), 9);
    assert.equal(s.lastIndex(), 8);
    assert.equal(s.term(8), 6);
    assert.deepEqual(Array.from(s.snapshot().data), Array.from(snap(8, 6).data));
    await assert.rejects(async () => s.applySnapshot(snap(7, 6)), code('ERR_SNAP_OUT_OF_DATE'));
    await assert.rejects(async () => s.applySnapshot(snap(8, 6)), code('ERR_SNAP_OUT_OF_DATE'));
    await assert.rejects(async () => s.save({ snapshot: snap(5, 5), entries: [], sync: true }), code('ERR_SNAP_OUT_OF_DATE'));
  });

  t('createSnapshot records a snapshot in the log without compacting', async ({ storage: s }) => {
    await seed(s);
    const data = new Uint8Array([9, 8, 7]);
    const got = await s.createSnapshot(4, conf(1, 2), data);
    assert.deepEqual(got.metadata, { index: 4, term: 4, confState: conf(1, 2) });
    assert.deepEqual(s.snapshot().metadata, got.metadata);
    assert.deepEqual(Array.from(s.snapshot().data), [9, 8, 7]);
    assert.equal(s.firstIndex(), 4);
    const kept = await s.createSnapshot(5, undefined, new Uint8Array([1]));
    assert.deepEqual(kept.metadata.confState, conf(1, 2));
    assert.deepEqual(s.initialState().confState, conf(1, 2));
  });

  t('createSnapshot refuses an old index and one beyond the log', async ({ storage: s }) => {
    await seed(s);
    await assert.rejects(async () => s.createSnapshot(3, undefined, new Uint8Array(0)), code('ERR_SNAP_OUT_OF_DATE'));
    await assert.rejects(async () => s.createSnapshot(2, undefined, new Uint8Array(0)), code('ERR_SNAP_OUT_OF_DATE'));
    await assert.rejects(async () => s.createSnapshot(6, undefined, new Uint8Array(0)), code('ERR_UNAVAILABLE'));
  });

  t('compact drops entries up to the index and keeps its term', async ({ storage: s }) => {
    await seed(s);
    await s.createSnapshot(5, undefined, new Uint8Array([1]));
    await assert.rejects(async () => s.compact(2), code('ERR_COMPACTED'));
    await assert.rejects(async () => s.compact(3), code('ERR_COMPACTED'));
    await assert.rejects(async () => s.compact(6), code('ERR_UNAVAILABLE'));
    await s.compact(4);
    assert.equal(s.firstIndex(), 5);
    assert.equal(s.term(4), 4);
    assert.throws(() => s.term(3), code('ERR_COMPACTED'));
    assert.throws(() => s.entries(4, 5, Infinity), code('ERR_COMPACTED'));
    await s.compact(5);
    assert.equal(s.firstIndex(), 6);
    assert.equal(s.lastIndex(), 5);
    assert.equal(s.term(5), 5);
    await s.save({ entries: [ent(6, 6)], sync: true });
    assert.deepEqual(show(s.entries(6, 7, Infinity)), show([ent(6, 6)]));
  });

  if (!caps.checkedCalls) return;

  t('compact refuses an index the snapshot does not cover', async ({ storage: s }) => {
    await seed(s);
    await assert.rejects(async () => s.compact(4), code('ERR_STORAGE_INVALID_ARGUMENT'));
    assert.equal(s.firstIndex(), 4);
  });

  t('bad arguments are refused with ERR_STORAGE_INVALID_ARGUMENT and write nothing', async ({ storage: s }) => {
    await seed(s);
    const invalid = code('ERR_STORAGE_INVALID_ARGUMENT');
    assert.throws(() => s.term(-1), invalid);
    assert.throws(() => s.term(1.5), invalid);
    assert.throws(() => s.entries(4, Number.NaN, 10), invalid);
    await assert.rejects(async () => s.save({ entries: [ent(6, 5), ent(8, 5)], sync: true }), invalid);
    await assert.rejects(async () => s.save({ entries: [ent(6, 5), ent(7, 4)], sync: true }), invalid);
    await assert.rejects(async () => s.save({ hardState: { term: -1, vote: 0, commit: 0 }, entries: [], sync: true }), invalid);
    await assert.rejects(async () => s.compact(Number.NaN), invalid);
    await assert.rejects(async () => s.createSnapshot(-4, undefined, new Uint8Array(0)), invalid);
    assert.equal(s.lastIndex(), 5);
    assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
  });
}
