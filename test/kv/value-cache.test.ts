import { describe, expect, it } from 'vitest';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MvccApplier } from '../../src/kv/mvcc/apply.js';
import { keyRange, toKey } from '../../src/kv/mvcc/bytes.js';
import { KeyIndex } from '../../src/kv/mvcc/key-index.js';
import type { Revision } from '../../src/kv/mvcc/revision.js';
import { MvccStore, revKey } from '../../src/kv/mvcc/store.js';
import { VALUE_CACHE_ENTRY_OVERHEAD, ValueCache } from '../../src/kv/mvcc/value-cache.js';
import type { KeyValue } from '../../src/kv/types.js';
import { dec, enc } from './helpers.js';

const kv = (key: string, value: string, rev: number): KeyValue => ({ key: enc(key), value: enc(value), createRevision: rev, modRevision: rev, version: 1, lease: 0n });

/** A store over a map "backend" that counts the revisions it was asked for. */
function countingStore(cacheBytes?: number): { store: MvccStore; applier: MvccApplier; commit: () => void; asked: Revision[] } {
  const records = new Map<string, KeyValue>();
  const asked: Revision[] = [];
  const store = new MvccStore({
    read: (revs) => {
      asked.push(...revs);
      return Promise.resolve(revs.map((r) => ({ ...records.get(revKey(r))! })));
    },
  }, cacheBytes);
  const commit = (): void => {
    for (const [k, v] of store.pending) records.set(k, v);
    store.commit();
  };
  return { store, applier: new MvccApplier(store, 2), commit, asked };
}

/** Puts `key` at revision `rev` into the index only (as a load from the backend does). */
function restoreKey(store: MvccStore, key: string, rev: number): void {
  store.index.insert(KeyIndex.restore(toKey(enc(key)), { main: rev, sub: 0 }, { main: rev, sub: 0 }, 1));
  store.rev = rev;
  store.visibleRev = rev;
}

const read = async (store: MvccStore, key: string): Promise<string[]> =>
  (await store.readView().rangeKeys(keyRange(enc(key), new Uint8Array(0)), { limit: 0, rev: 0, count: false })).kvs.map((x) => dec(x.value));

describe('ValueCache', () => {
  it('keeps entries within its byte budget, evicting the least recently used first', () => {
    const one = VALUE_CACHE_ENTRY_OVERHEAD + 2; // key "k1" + value "" + the fixed overhead
    const c = new ValueCache(3 * one);
    c.set('1_0', kv('k1', '', 1));
    c.set('2_0', kv('k2', '', 2));
    c.set('3_0', kv('k3', '', 3));
    expect(c.get('1_0')).toBeDefined(); // now the most recently used
    c.set('4_0', kv('k4', '', 4));
    expect(c.get('2_0')).toBeUndefined();
    expect([c.get('1_0'), c.get('3_0'), c.get('4_0')].every((x) => x !== undefined)).toBe(true);
    expect(c.size).toBe(3);
    expect(c.bytes).toBe(3 * one);
  });

  it('counts a replaced entry once, holds nothing larger than the budget, and clears', () => {
    const c = new ValueCache(VALUE_CACHE_ENTRY_OVERHEAD + 600);
    c.set('1_0', kv('k', 'a', 1));
    c.set('1_0', kv('k', 'b', 1));
    expect(c.size).toBe(1);
    expect(c.bytes).toBe(VALUE_CACHE_ENTRY_OVERHEAD + 2);
    c.set('2_0', kv('k', 'x'.repeat(600), 2));
    expect(c.get('2_0')).toBeUndefined();
    c.clear();
    expect([c.size, c.bytes]).toEqual([0, 0]);
  });

  it('with a budget of 0 keeps nothing', () => {
    const c = new ValueCache(0);
    c.set('1_0', kv('k', '', 1));
    expect(c.size).toBe(0);
  });
});

describe('MvccStore value cache', () => {
  it('serves written values from memory once their batch is committed', async () => {
    const { store, applier, commit, asked } = countingStore();
    await applier.put({ key: enc('a'), value: enc('1') });
    commit();
    expect(await read(store, 'a')).toEqual(['1']);
    expect(asked).toEqual([]);
  });

  it('reads a value missing from the cache once from the backend, then from memory', async () => {
    const { store, applier, commit, asked } = countingStore(0);
    await applier.put({ key: enc('a'), value: enc('1') });
    commit();
    expect(await read(store, 'a')).toEqual(['1']);
    expect(asked).toHaveLength(1);
    const warm = countingStore();
    await warm.applier.put({ key: enc('a'), value: enc('1') });
    warm.commit();
    warm.store.reset(); // forgets the cache; the "backend" still holds the record
    restoreKey(warm.store, 'a', 2);
    expect(await read(warm.store, 'a')).toEqual(['1']);
    expect(await read(warm.store, 'a')).toEqual(['1']);
    expect(warm.asked).toHaveLength(1);
  });

  it('hands out fresh objects: changing a returned key-value does not change the next read', async () => {
    const { store, applier, commit } = countingStore();
    await applier.put({ key: enc('a'), value: enc('1') });
    commit();
    const [first] = (await store.readView().rangeKeys(keyRange(enc('a'), new Uint8Array(0)), { limit: 0, rev: 0, count: false })).kvs;
    first!.value = enc('changed');
    expect(await read(store, 'a')).toEqual(['1']);
  });

  it('changing a written record after its batch is committed (as a watch consumer could) does not change reads', async () => {
    const { store, applier, commit } = countingStore();
    await applier.put({ key: enc('a'), value: enc('1') });
    const written = [...store.pending.values()];
    commit();
    written[0]!.value = enc('changed');
    expect(await read(store, 'a')).toEqual(['1']);
  });

  it('a backend read in flight across a reset does not fill the cache', async () => {
    let release: (() => void) | undefined;
    const asked: Revision[] = [];
    const store = new MvccStore({
      read: async (revs) => {
        asked.push(...revs);
        if (release === undefined) await new Promise<void>((r) => (release = r));
        return revs.map((r) => kv('a', `v${r.main}`, r.main));
      },
    });
    restoreKey(store, 'a', 2);
    const slow = read(store, 'a');
    await Promise.resolve();
    store.reset();
    restoreKey(store, 'a', 2);
    release!();
    expect(await slow).toEqual(['v2']);
    await read(store, 'a');
    expect(asked).toHaveLength(2);
  });

  it('KvStateMachine refuses a negative or fractional valueCacheBytes', () => {
    expect(() => new KvStateMachine({ valueCacheBytes: -1 })).toThrow(/valueCacheBytes/);
    expect(() => new KvStateMachine({ valueCacheBytes: 1.5 })).toThrow(/valueCacheBytes/);
  });
});
