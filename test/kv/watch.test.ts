import { afterEach, expect, test } from 'vitest';
import { KvClient } from '../../src/kv/kv-client.js';
import { EmptyWatchRangeError } from '../../src/kv/errors.js';
import { WatchFilterType } from '../../src/kv/watch/types.js';
import { KvCluster } from './kv-cluster.js';
import { dec } from './helpers.js';
import { Reader } from './watch-helpers.js';

let cluster: KvCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

test('ordered: watchers on every member see the same events in revision order, a txn in op order', async () => {
  const c = (cluster = await KvCluster.create(3));
  const readers = [1, 2, 3].map((id) => new Reader(c.client(id).watch('k', { prefix: true })));
  await c.client(2).put('k1', 'a');
  await c.client(3).txn({ compare: [], success: [{ requestPut: { key: 'k3', value: 'c' } }, { requestPut: { key: 'k2', value: 'b' } }, { requestDeleteRange: { key: 'k1' } }] });
  await c.client(1).put('other', 'x');
  await c.client(1).put('k2', 'd');
  const want = ['2:PUT:k1=a', '3:PUT:k3=c', '3:PUT:k2=b', '3:DEL:k1', '5:PUT:k2=d'];
  for (const r of readers) await r.until(() => r.events().length >= want.length, 'the events');
  for (const r of readers) expect(r.events()).toEqual(want);
});

test('unique, reliable, and apply never waits: a watcher that does not read falls back to storage and later gets every event once', async () => {
  const c = (cluster = await KvCluster.create(1));
  const slow = new KvClient(c.replicas.get(1)!, { watch: { maxBacklog: 4, revisionsPerRead: 3 } });
  const w = slow.watch('k', { prefix: true });
  // Nobody reads yet: 40 writes still complete (the backlog fills, then the watcher is demoted).
  for (let i = 0; i < 40; i++) await c.client(1).put(`k${i % 7}`, String(i));
  expect(slow.watches.slowWatchers).toBe(1);
  expect(slow.watches.slowEvents).toBeGreaterThan(0);
  const r = new Reader(w);
  await r.until(() => r.events().length >= 40, 'every event');
  const revs = r.batches.flatMap((b) => b.events.map((e) => e.kv.modRevision));
  expect(revs).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
  expect(r.events().map((e) => e.split('=')[1])).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
  // Caught up: fed live again.
  await c.client(1).put('k1', 'live');
  await r.until(() => r.events().length === 41, 'the live event');
  expect(slow.watches.slowWatchers).toBe(0);
});

test('atomic: a revision is never split across batches, even when it is larger than the backlog', async () => {
  const c = (cluster = await KvCluster.create(1));
  const small = new KvClient(c.replicas.get(1)!, { watch: { maxBacklog: 2, revisionsPerRead: 2 } });
  const w = small.watch('t', { prefix: true, startRevision: 1 });
  for (let i = 0; i < 5; i++) {
    await c.client(1).txn({ compare: [], success: [0, 1, 2, 3].map((j) => ({ requestPut: { key: `t${j}`, value: `${i}` } })) });
  }
  const r = new Reader(w);
  await r.until(() => r.events().length >= 20, 'all txn events');
  // Whole revisions: each batch holds one txn's four events, or several txns' (a catch-up batch).
  for (const b of r.batches) {
    expect(b.events.length % 4).toBe(0);
    for (let i = 0; i < b.events.length; i += 4) {
      expect(b.events.slice(i, i + 4).map((e) => `${dec(e.kv.key)}@${String(e.kv.modRevision)}`)).toEqual([0, 1, 2, 3].map((j) => `t${j}@${String(b.events[i]!.kv.modRevision)}`));
    }
  }
});

test('resumable: a watch cancelled on one member resumes on another after the last revision seen, without gap or repeat', async () => {
  const c = (cluster = await KvCluster.create(3));
  const w1 = c.client(1).watch('r', { prefix: true });
  const r1 = new Reader(w1);
  for (let i = 0; i < 5; i++) await c.client(1).put('r', String(i));
  await r1.until(() => r1.events().length >= 3, 'three events');
  w1.cancel();
  await r1.until(() => r1.done, 'the watch to end');
  const last = r1.batches.at(-1)!;
  expect(last.canceled).toBe(true);
  const seen = r1.batches.flatMap((b) => b.events);
  const lastRev = seen.at(-1)!.kv.modRevision;
  for (let i = 5; i < 8; i++) await c.client(2).put('r', String(i));
  const r2 = new Reader(c.client(3).watch('r', { prefix: true, startRevision: lastRev + 1 }));
  await r2.until(() => seen.length + r2.events().length >= 8, 'the rest');
  const values = [...seen.map((e) => dec(e.kv.value)), ...r2.batches.flatMap((b) => b.events.map((e) => dec(e.kv.value)))];
  expect(values).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
});

test('bookmarkable: a progress notification at R comes after every event up to R; requestProgress is answered at once when synced', async () => {
  const c = (cluster = await KvCluster.create(1));
  const w = c.client(1).watch('b', { prefix: true, startRevision: 1 });
  const r = new Reader(w);
  for (let i = 0; i < 6; i++) await c.client(1).put(`b${i}`, 'v');
  await c.client(1).put('zz', 'not watched');
  await r.until(() => r.events().length >= 6, 'the events');
  w.requestProgress();
  await r.until(() => r.batches.some((b) => b.progressNotify), 'a progress notification');
  const at = r.batches.findIndex((b) => b.progressNotify);
  const p = r.batches[at]!;
  expect(p.events).toEqual([]);
  expect(p.header.revision).toBe(8);
  const before = r.batches.slice(0, at).flatMap((b) => b.events.map((e) => e.kv.modRevision));
  expect(before).toEqual([2, 3, 4, 5, 6, 7]);
});

test('periodic progress notifications for progressNotify watchers', async () => {
  const c = (cluster = await KvCluster.create(1));
  const client = new KvClient(c.replicas.get(1)!, { watch: { progressIntervalMs: 20 } });
  const r = new Reader(client.watch('p', { progressNotify: true }));
  await c.client(1).put('x', '1');
  await r.until(() => r.batches.filter((b) => b.progressNotify && b.header.revision === 2).length > 0, 'a periodic progress notification');
});

test('a start revision below the compacted one ends the watch with compactRevision; a future one waits', async () => {
  const c = (cluster = await KvCluster.create(1));
  const kv = c.client(1);
  for (let i = 0; i < 5; i++) await kv.put('c', String(i));
  await kv.compact(4);
  const old = new Reader(kv.watch('c', { startRevision: 2 }));
  await old.until(() => old.done, 'the compacted watch to end');
  expect(old.batches).toHaveLength(1);
  expect(old.batches[0]).toMatchObject({ canceled: true, compactRevision: 4, cancelReason: 'mvcc: required revision has been compacted', events: [] });
  // The compacted revision itself is still watchable.
  const at = new Reader(kv.watch('c', { startRevision: 4 }));
  await at.until(() => at.events().length >= 3, 'events from the compacted revision');
  expect(at.events()).toEqual(['4:PUT:c=2', '5:PUT:c=3', '6:PUT:c=4']);
  const future = new Reader(kv.watch('c', { startRevision: 9 }));
  for (let i = 5; i < 9; i++) await kv.put('c', String(i));
  await future.until(() => future.events().length >= 2, 'events from the future revision');
  expect(future.events()).toEqual(['9:PUT:c=7', '10:PUT:c=8']);
});

test('prevKv, NOPUT/NODELETE filters and fragments', async () => {
  const c = (cluster = await KvCluster.create(1));
  const kv = c.client(1);
  const frag = new KvClient(c.replicas.get(1)!, { watch: { fragmentBytes: 200 } });
  const prev = new Reader(kv.watch('f', { prefix: true, prevKv: true }));
  const noPut = new Reader(kv.watch('f', { prefix: true, filters: [WatchFilterType.NOPUT] }));
  const noDel = new Reader(kv.watch('f', { prefix: true, filters: [WatchFilterType.NODELETE] }));
  const fragments = new Reader(frag.watch('f', { prefix: true, fragment: true }));
  await kv.put('f1', 'one');
  await kv.put('f1', 'two');
  await kv.deleteRange('f1');
  await kv.txn({ compare: [], success: [0, 1, 2, 3].map((i) => ({ requestPut: { key: `f${i}`, value: 'x'.repeat(100) } })) });
  await prev.until(() => prev.events().length >= 7, 'prevKv events');
  const prevs = prev.batches.flatMap((b) => b.events.map((e) => (e.prevKv === undefined ? '-' : dec(e.prevKv.value))));
  expect(prevs.slice(0, 3)).toEqual(['-', 'one', 'two']);
  await noPut.until(() => noPut.events().length >= 1, 'the delete');
  await noDel.until(() => noDel.events().length >= 6, 'the puts');
  expect(noPut.events()).toEqual(['4:DEL:f1']);
  expect(noDel.events().some((e) => e.includes('DEL'))).toBe(false);
  await fragments.until(() => fragments.events().length >= 7, 'fragmented events');
  const txnBatches = fragments.batches.filter((b) => b.events[0]?.kv.modRevision === 5);
  expect(txnBatches.length).toBeGreaterThan(1);
  expect(txnBatches.map((b) => b.fragment)).toEqual([...txnBatches.slice(1).map(() => true), false]);
});

test('a range that holds no key is refused with EmptyWatchRangeError, as etcd refuses it; the zero byte still means every key from the start', async () => {
  const c = (cluster = await KvCluster.create(1));
  const kv = c.client(1);
  for (const [key, rangeEnd] of [['b', 'a'], ['b', 'b']] as const) {
    expect(() => kv.watch(key, { rangeEnd })).toThrow(EmptyWatchRangeError);
  }
  expect(() => kv.watch('b', { rangeEnd: 'a' })).toThrow(expect.objectContaining({ code: 'ERR_EMPTY_WATCH_RANGE', message: 'mvcc: watcher range is empty' }) as Error);
  const all = new Reader(kv.watch('b', { rangeEnd: new Uint8Array([0]) }));
  await kv.put('a', '1');
  await kv.put('z', '2');
  await all.until(() => all.events().length >= 1, 'the event');
  expect(all.events()).toEqual(['3:PUT:z=2']);
});
