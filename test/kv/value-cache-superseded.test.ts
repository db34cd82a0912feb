/**
 * The store's value cache drops a key's superseded record one commit after the batch that
 * replaced it (put or delete), so it holds about one entry per live key however often keys are
 * overwritten; the watch events of the replacing batch still find their `prevKv` in memory, and
 * reads of older revisions come from the backend with the right values.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/kv/commands.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MvccApplier } from '../../src/kv/mvcc/apply.js';
import { keyRange } from '../../src/kv/mvcc/bytes.js';
import type { Revision } from '../../src/kv/mvcc/revision.js';
import { MvccStore, revKey } from '../../src/kv/mvcc/store.js';
import type { Event, KeyValue, ResponseHeader } from '../../src/kv/types.js';
import { kvWatchSource } from '../../src/kv/watch/kv-watch-source.js';
import { WatchHub } from '../../src/kv/watch/watch-hub.js';
import { dec, enc } from './helpers.js';
import { Reader } from './watch-helpers.js';

/** A store over a map "backend" that records the revisions it was asked for. */
function countingStore(): { store: MvccStore; applier: MvccApplier; commit: () => void; asked: string[] } {
  const records = new Map<string, KeyValue>();
  const asked: string[] = [];
  const store = new MvccStore({
    read: (revs: readonly Revision[]) => {
      asked.push(...revs.map(revKey));
      return Promise.resolve(revs.map((r) => ({ ...records.get(revKey(r))! })));
    },
  });
  const commit = (): void => {
    for (const [k, v] of store.pending) records.set(k, v);
    store.commit();
  };
  return { store, applier: new MvccApplier(store, 2), commit, asked };
}

/** The values of `key` read at revision `rev` (0: the latest). */
const readAt = async (store: MvccStore, key: string, rev = 0): Promise<string[]> =>
  (await store.readView().rangeKeys(keyRange(enc(key), new Uint8Array(0)), { limit: 0, rev, count: false })).kvs.map((x) => dec(x.value));

describe('value cache and superseded records', () => {
  it('keeps a superseded record until the next commit, then reads it from the backend', async () => {
    const { store, applier, commit, asked } = countingStore();
    await applier.put({ key: enc('a'), value: enc('1') }); // rev 2
    commit();
    await applier.put({ key: enc('a'), value: enc('2') }); // rev 3 supersedes rev 2
    commit();
    // As the watch events of rev 3 read their prevKv: still in memory.
    expect(await readAt(store, 'a', 2)).toEqual(['1']);
    expect(asked).toEqual([]);
    await applier.put({ key: enc('b'), value: enc('x') }); // rev 4
    commit();
    expect(await readAt(store, 'a', 2)).toEqual(['1']);
    expect(asked).toEqual(['2_0']);
    expect(await readAt(store, 'a')).toEqual(['2']);
    expect(asked).toEqual(['2_0']);
  });

  it("holds a put's key and value bytes as the request gave them, not copies (each cached record is one object per key)", async () => {
    const { store, applier, commit } = countingStore();
    const key = enc('a');
    const value = enc('1');
    await applier.put({ key, value, lease: 0n }); // rev 2
    const written = store.pending.get('2_0')!;
    expect([written.key, written.value, written.lease]).toEqual([key, value, 0n]);
    expect(written.key).toBe(key);
    expect(written.value).toBe(value);
    commit();
    expect((await store.readView().rangeKeys(keyRange(key, new Uint8Array(0)), { limit: 0, rev: 0, count: false })).kvs[0]!.key).toBe(key);
  });

  it("holds a txn's or a reading put's key bytes as the request gave them, not a copy", async () => {
    const { store, applier } = countingStore();
    const key = enc('a');
    await applier.put({ key, value: enc('1'), lease: 0n, prevKv: true }); // rev 2, through the reading path
    await applier.txn({ compare: [], success: [{ requestPut: { key, value: enc('2'), lease: 0n } }], failure: [] }); // rev 3
    expect(store.pending.get('2_0')!.key).toBe(key);
    expect(store.pending.get('3_0')!.key).toBe(key);
    expect(store.pending.get('3_0')!.lease).toBe(0n);
  });

  it('drops the record a delete supersedes', async () => {
    const { store, applier, commit, asked } = countingStore();
    await applier.put({ key: enc('a'), value: enc('1') }); // rev 2
    commit();
    await applier.deleteRange({ key: enc('a') }); // rev 3
    commit();
    await applier.put({ key: enc('b'), value: enc('x') }); // rev 4
    commit();
    expect(store.cachedValues).toBe(1);
    expect(await readAt(store, 'a')).toEqual([]);
    expect(await readAt(store, 'a', 2)).toEqual(['1']);
    expect(asked).toEqual(['2_0']);
  });

  it('holds about one entry per live key under many overwrites, and every old revision still reads right', async () => {
    const { store, applier, commit } = countingStore();
    const keys = 20;
    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < keys; k++) await applier.put({ key: enc(`k${k}`), value: enc(`${k}@${round}`) });
      commit(); // one batch per round: its own records, plus the previous round's until the next commit
      expect(store.cachedValues).toBeLessThanOrEqual(2 * keys);
    }
    await applier.put({ key: enc('other'), value: enc('x') });
    commit();
    expect(store.cachedValues).toBe(keys + 1);
    for (let round = 0; round < rounds; round++) {
      const rev = 2 + round * keys + keys - 1; // the round's last revision: every key holds that round's value
      for (let k = 0; k < keys; k++) expect(await readAt(store, `k${k}`, rev)).toEqual([`${k}@${round}`]);
    }
  });

  it('a txn writing a key twice drops the first of its records too', async () => {
    const { store, applier, commit } = countingStore();
    const put = (v: string): { requestPut: { key: Uint8Array; value: Uint8Array } } => ({ requestPut: { key: enc('a'), value: enc(v) } });
    await applier.put({ key: enc('a'), value: enc('0') }); // rev 2
    commit();
    await applier.txn({ compare: [], success: [put('1'), put('2')], failure: [] }); // rev 3: 3_0 and 3_1
    commit();
    await applier.put({ key: enc('b'), value: enc('x') }); // rev 4
    commit();
    expect(store.cachedValues).toBe(2); // a@3_1 and b@4_0
    expect(await readAt(store, 'a', 2)).toEqual(['0']);
    expect(await readAt(store, 'a', 3)).toEqual(['2']);
  });
});

describe('KvStateMachine with superseded records out of its cache', () => {
  const put = (index: number, key: string, value: string): { index: number; term: number; data: Uint8Array } =>
    ({ index, term: 1, data: encodeCommand({ op: 'put', req: { key: enc(key), value: enc(value) } } satisfies KvCommand) });
  const header = (revision: number): ResponseHeader => ({ clusterId: 1n, memberId: 1n, revision, raftTerm: 1 });

  it('reads old revisions from its database (written or still queued), and fills every watch prevKv', async () => {
    const sm = new KvStateMachine();
    await sm.ready();
    const hub = new WatchHub(kvWatchSource(sm, header));
    const w = hub.watch(enc('hot'), new Uint8Array(0), { prevKv: true });
    const reader = new Reader(w);
    let index = 1;
    for (let i = 0; i < 50; i++) await sm.apply([put(index++, 'hot', `v${String(i)}`), put(index++, `cold${String(i % 5)}`, `c${String(i)}`)]);
    expect(sm.store.cachedValues).toBeLessThanOrEqual(2 * 6);
    // Revision 2 + 2i holds hot=v<i>, 3 + 2i cold<i % 5>=c<i>; the last batches may still be queued for the database.
    const at = async (key: string, rev: number): Promise<string[]> =>
      (await sm.store.readView().rangeKeys(keyRange(enc(key), new Uint8Array(0)), { limit: 0, rev, count: false })).kvs.map((kv) => dec(kv.value));
    for (let i = 0; i < 50; i++) expect(await at('hot', 2 + 2 * i)).toEqual([`v${String(i)}`]);
    await sm.flush();
    for (let i = 0; i < 50; i++) expect(await at(`cold${String(i % 5)}`, 3 + 2 * i)).toEqual([`c${String(i)}`]);
    const events = (): Event[] => reader.batches.flatMap((b) => b.events);
    await reader.until(() => events().length === 50, '50 watch events');
    expect(events().map((e) => `${e.prevKv === undefined ? '-' : dec(e.prevKv.value)}>${dec(e.kv.value)}`)).toEqual(Array.from({ length: 50 }, (_, i) => `${i === 0 ? '-' : `v${String(i - 1)}`}>v${String(i)}`));
    hub.close();
    await sm.close();
  });
});
